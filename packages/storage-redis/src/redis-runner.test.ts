import type { ChainableCommander } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisRunner, isRedirection } from './redis-runner.js';
import type { BatchCommand, RedisClient } from './redis-runner.js';
import { RedisReplyError, RedisUnavailableError } from './errors.js';
import { keySlot } from './slot.js';

type Reply = [error: Error | null, result: unknown];

/**
 * Just enough of an ioredis Cluster for `RedisRunner.batch`: a slot map (`slots`, what the client
 * believes), the cluster's real owner of each slot, and pipelines that are sent, like ioredis
 * does, to the node the client's map gives the first key. A node answers `MOVED` for a slot it
 * does not own; a pipeline of one slot whose commands all got the same `MOVED` is followed, as
 * ioredis follows it.
 */
class FakeCluster {
  readonly isCluster = true;
  slots: string[][] = [];
  /** Keys whose command ran, in order. */
  readonly ran: string[] = [];
  refreshes = 0;
  /** What a slot-map reload loads (default: the truth). */
  reload: (slot: number) => string;
  /** Replies a command with this error instead of running it (tests of other failures). */
  failWith: ((key: string) => Error | undefined) | undefined;
  /** Pipelines refused before sending (as ioredis refuses keys of two slot groups). */
  refuseNext = 0;

  constructor(
    public owner: (slot: number) => string,
    view: (slot: number) => string,
  ) {
    this.setView(view);
    this.reload = (slot) => this.owner(slot);
  }

  setView(view: (slot: number) => string): void {
    this.slots = Array.from({ length: 16384 }, (_, slot) => [view(slot)]);
  }

  defineCommand(name: string): void {
    (this as unknown as Record<string, unknown>)[name] = () => undefined;
  }

  refreshSlotsCache(callback?: () => void): void {
    this.refreshes++;
    setTimeout(() => {
      this.setView(this.reload);
      callback?.();
    }, 1);
  }

  pipeline(): ChainableCommander {
    return fakePipeline(this);
  }
}

function fakePipeline(cluster: FakeCluster): ChainableCommander {
  const keys: string[] = [];
  const pipeline = {
    get length() {
      return keys.length;
    },
    op(key: string) {
      keys.push(key);
      return pipeline;
    },
    async exec(): Promise<Reply[]> {
      if (cluster.refuseNext > 0) {
        cluster.refuseNext--;
        throw new Error(
          'All keys in the pipeline should belong to the same slots allocation group',
        );
      }
      const target = cluster.slots[keySlot(keys[0]!)]![0]!;
      const run = (node: string): Reply[] =>
        keys.map((key) => {
          const failure = cluster.failWith?.(key);
          if (failure) return [failure, null];
          const slot = keySlot(key);
          const owner = cluster.owner(slot);
          if (owner !== node)
            return [
              Object.assign(new Error(`MOVED ${slot} ${owner}`), { name: 'ReplyError' }),
              null,
            ];
          cluster.ran.push(key);
          return [null, 1];
        });
      const replies = run(target);
      const slots = new Set(keys.map(keySlot));
      const errors = new Set(replies.map(([error]) => error?.message));
      const [first] = errors;
      if (slots.size === 1 && errors.size === 1 && first?.startsWith('MOVED ')) {
        return run(first.split(' ')[2]!);
      }
      return replies;
    },
  };
  return pipeline as unknown as ChainableCommander;
}

const context = { operation: 'timeline.addToMany' };

function commandsFor(keys: readonly string[]): BatchCommand[] {
  return keys.map((key) => ({
    key,
    enqueue: (pipeline: ChainableCommander) =>
      void (pipeline as unknown as { op(key: string): unknown }).op(key),
  }));
}

const keys = Array.from({ length: 250 }, (_, i) => `feed:flat:${100_000 + i}`);
const thirds = (a: string, b: string, c: string) => (slot: number) =>
  slot < 5461 ? a : slot < 10923 ? b : c;

function runnerOn(cluster: FakeCluster): RedisRunner {
  return new RedisRunner(cluster as unknown as RedisClient);
}

describe('RedisRunner.batch on a cluster whose slot map is out of date', () => {
  it('follows a failover: reloads the slot map and sends the redirected commands again, each command running once', async () => {
    // The client still maps the middle third to the dead master B; C, its replica, took over.
    const cluster = new FakeCluster(thirds('A', 'C', 'D'), thirds('A', 'B', 'D'));
    const replies = await runnerOn(cluster).batch(context, commandsFor(keys));
    expect(replies).toEqual(keys.map(() => 1));
    expect([...cluster.ran].sort()).toEqual([...keys].sort());
    expect(cluster.refreshes).toBe(1);
    expect(cluster.slots[6000]).toEqual(['C']);
  });

  it('sends commands one slot at a time when the reloaded map is still stale (a node that did not hear of the failover yet)', async () => {
    const cluster = new FakeCluster(thirds('A', 'C', 'D'), thirds('A', 'B', 'D'));
    cluster.reload = thirds('A', 'B', 'D');
    const replies = await runnerOn(cluster).batch(context, commandsFor(keys));
    expect(replies).toEqual(keys.map(() => 1));
    expect([...cluster.ran].sort()).toEqual([...keys].sort());
  });

  it('gives up with RedisUnavailableError when the redirections do not end, without running a command twice', async () => {
    const cluster = new FakeCluster(thirds('A', 'C', 'D'), thirds('A', 'B', 'D'));
    cluster.reload = thirds('A', 'B', 'D');
    // Every node sends the middle third elsewhere (slots moving all the time).
    cluster.failWith = (key) => {
      const slot = keySlot(key);
      return slot >= 5461 && slot < 10923
        ? Object.assign(new Error(`MOVED ${slot} E`), { name: 'ReplyError' })
        : undefined;
    };
    const error = await runnerOn(cluster)
      .batch(context, commandsFor(keys))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(
      /^Redis is unavailable \(timeline.addToMany\): MOVED \d+ E$/,
    );
    expect(new Set(cluster.ran).size).toBe(cluster.ran.length);
  });

  it('regroups a pipeline that ioredis refused because its slots span two groups of a changed map', async () => {
    const cluster = new FakeCluster(thirds('A', 'B', 'D'), thirds('A', 'B', 'D'));
    cluster.refuseNext = 1;
    const replies = await runnerOn(cluster).batch(context, commandsFor(keys));
    expect(replies).toEqual(keys.map(() => 1));
    expect([...cluster.ran].sort()).toEqual([...keys].sort());
  });

  it('throws a failure that is not a redirection, and reloads the slot map for the next try', async () => {
    const cluster = new FakeCluster(thirds('A', 'B', 'D'), thirds('A', 'B', 'D'));
    cluster.failWith = (key) => (key === keys[7] ? new Error('Connection is closed.') : undefined);
    const error = await runnerOn(cluster)
      .batch(context, commandsFor(keys))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(cluster.refreshes).toBe(1);
    expect(cluster.ran).toHaveLength(keys.length - 1);
  });

  it('throws an error reply as RedisReplyError without a reload', async () => {
    const cluster = new FakeCluster(thirds('A', 'B', 'D'), thirds('A', 'B', 'D'));
    cluster.failWith = (key) =>
      key === keys[3]
        ? Object.assign(
            new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
            { name: 'ReplyError' },
          )
        : undefined;
    const error = await runnerOn(cluster)
      .batch(context, commandsFor(keys))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisReplyError);
    expect(cluster.refreshes).toBe(0);
  });

  it('shares one reload between concurrent batches', async () => {
    const cluster = new FakeCluster(thirds('A', 'C', 'D'), thirds('A', 'B', 'D'));
    const runner = runnerOn(cluster);
    await Promise.all([0, 1, 2, 3].map(() => runner.batch(context, commandsFor(keys))));
    expect(cluster.refreshes).toBe(1);
    expect(cluster.ran).toHaveLength(keys.length * 4);
  });
});

describe('isRedirection', () => {
  it('recognises MOVED and ASK replies only', () => {
    expect(isRedirection(new Error('MOVED 3999 127.0.0.1:7104'))).toBe(true);
    expect(isRedirection(new Error('ASK 3999 127.0.0.1:7104'))).toBe(true);
    expect(isRedirection(new Error('CLUSTERDOWN The cluster is down'))).toBe(false);
    expect(isRedirection(new Error('ERR MOVED'))).toBe(false);
    expect(isRedirection('MOVED 1 a:1')).toBe(false);
  });
});
