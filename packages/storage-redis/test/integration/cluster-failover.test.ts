/**
 * A Redis Cluster master fails over while the client is idle, so the client's slot map still
 * names the old master. Fanout writes (`addToMany`, `removeIdsFromMany`: one pipeline per node)
 * must go to the new master at the first call after the failover. Drill 1 (RELIABILITY.md) found
 * workers failing such writes with `MOVED` for good: ioredis neither follows the redirections of
 * a pipeline over many slots nor reloads its slot map then, and has no periodic reload by default.
 *
 * The test runs its own cluster of 3 masters with one replica each (scripts/redis-cluster.sh on
 * spare ports, data in a temp dir), so the shared cluster is never touched. A replica takes over
 * with CLUSTER FAILOVER TAKEOVER / CLUSTER FAILOVER: no wait for cluster-node-timeout.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DehydratedActivity } from '@sf/activity';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStorage } from '../../src/index.js';
import { eventually, freePortRange } from './helpers.js';
import { flatSerializer, testFormat } from './test-format.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/redis-cluster.sh', import.meta.url));
const HOST = '127.0.0.1';

interface Node {
  id: string;
  port: number;
  role: 'master' | 'slave';
  masterId: string;
  slots: number;
  failed: boolean;
}

async function command(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    port,
    host: HOST,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

async function clusterNodes(port: number): Promise<Node[]> {
  const text = (await command(port, 'CLUSTER', 'NODES')) as string;
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      const count = slots
        .filter((slot) => !slot.startsWith('['))
        .reduce((sum, slot) => {
          const [from, to] = slot.split('-').map(Number);
          return sum + (to === undefined ? 1 : to - from! + 1);
        }, 0);
      return {
        id: id!,
        port: Number(address!.split('@')[0]!.split(':')[1]),
        role: flags!.includes('master') ? 'master' : 'slave',
        masterId: masterId!,
        slots: count,
        failed: flags!.includes('fail'),
      };
    });
}

const base = await freePortRange(Number(process.env.SF_FAILOVER_TEST_BASE_PORT || 7411), 6);

describe.skipIf(base === undefined)('a cluster master fails over while the client is idle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-redis-failover-'));
  const env = {
    ...process.env,
    REDIS_CLUSTER_BASE_PORT: String(base),
    REDIS_CLUSTER_REPLICAS: '1',
    REDIS_CLUSTER_DIR: dir,
  };
  const ports = Array.from({ length: 6 }, (_, i) => base! + i);
  let client: Cluster;
  /** The master the first test kills (down for the rest of the file). */
  let killed: number | undefined;
  const feeds = Array.from({ length: 300 }, (_, i) => `feed:${i}`);
  const id = (n: number) => `${1_373_266_755_000 + n}0000000042003`;

  beforeAll(async () => {
    await run('bash', [script, 'start'], { env, timeout: 90_000 });
    // A client as the README recommends: no slotsRefreshInterval (ioredis 5 has none by default).
    client = new Cluster(
      ports.map((port) => ({ host: HOST, port })),
      { redisOptions: { maxRetriesPerRequest: 1 } },
    );
    client.on('error', () => undefined);
  }, 120_000);

  afterAll(async () => {
    client?.disconnect();
    await run('bash', [script, 'stop'], { env, timeout: 60_000 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Waits until the replica on `replica` is linked to its master and has all of its writes. */
  async function replicated(master: number, replica: number): Promise<void> {
    const field = (info: string, name: string) =>
      new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
    await eventually(async () => {
      const ofMaster = (await command(master, 'INFO', 'replication')) as string;
      const ofReplica = (await command(replica, 'INFO', 'replication')) as string;
      return (
        field(ofReplica, 'master_link_status') === 'up' &&
        Number(field(ofReplica, 'slave_repl_offset')) >=
          Number(field(ofMaster, 'master_repl_offset'))
      );
    }, 30_000);
  }

  /** Waits until every live node sees `port` as a master holding `slots` slots, and the cluster is ok. */
  async function settled(port: number, slots: number, dead: number[] = []): Promise<void> {
    await eventually(async () => {
      for (const node of ports.filter((p) => !dead.includes(p))) {
        try {
          const view = await clusterNodes(node);
          const promoted = view.find((n) => n.port === port);
          if (!promoted || promoted.role !== 'master' || promoted.slots !== slots) return false;
          if (!/cluster_state:ok/.test((await command(node, 'CLUSTER', 'INFO')) as string))
            return false;
        } catch {
          return false;
        }
      }
      return true;
    }, 30_000);
  }

  it('writes through the promoted replica at the first call after its master was killed', async () => {
    const storage = redisStorage({ redis: client, format: testFormat, keyPrefix: 'failover:' });
    const flat = storage.timelineStorage({
      name: 'normal',
      kind: 'flat',
      serializer: flatSerializer,
    });
    expect(await flat.addToMany(feeds, [new DehydratedActivity(id(1))])).toBe(feeds.length);

    const nodes = await clusterNodes(ports[0]!);
    const master = nodes.filter((n) => n.role === 'master').sort((a, b) => b.slots - a.slots)[0]!;
    const replica = nodes.find((n) => n.masterId === master.id)!;
    // Replication is asynchronous: let the replica have the first write before its master dies.
    await replicated(master.port, replica.port);
    process.kill(
      Number(readFileSync(join(dir, String(master.port), 'redis.pid'), 'utf8').trim()),
      'SIGKILL',
    );
    killed = master.port;
    // The client drops its connection to the dead node; nothing else tells it anything.
    await eventually(
      () => !client.nodes('all').some((node) => node.options.port === master.port),
      10_000,
    );
    await command(replica.port, 'CLUSTER', 'FAILOVER', 'TAKEOVER');
    await settled(replica.port, master.slots, [master.port]);

    // The client's map still gives the dead master's slots to it: this is the first call since.
    expect(slotsOf(client, master.port)).toBe(master.slots);
    expect(await flat.addToMany(feeds, [new DehydratedActivity(id(2))])).toBe(feeds.length);
    for (const feed of feeds.slice(0, 20)) expect(await flat.count(feed)).toBe(2);
    expect(slotsOf(client, master.port)).toBe(0);
    expect(slotsOf(client, replica.port)).toBe(master.slots);
  });

  it('writes through the new master at the first call after a manual failover (old master alive, now a replica)', async () => {
    const storage = redisStorage({ redis: client, format: testFormat, keyPrefix: 'failover:' });
    const flat = storage.timelineStorage({
      name: 'normal',
      kind: 'flat',
      serializer: flatSerializer,
    });
    const dead = killed === undefined ? [] : [killed];
    const nodes = (await clusterNodes(ports.find((port) => !dead.includes(port))!)).filter(
      (n) => !n.failed && !dead.includes(n.port),
    );
    // A master that still has a live replica.
    const master = nodes.find(
      (n) => n.role === 'master' && n.slots > 0 && nodes.some((r) => r.masterId === n.id),
    )!;
    const replica = nodes.find((n) => n.masterId === master.id)!;
    await command(replica.port, 'CLUSTER', 'FAILOVER');
    await settled(replica.port, master.slots, dead);
    expect(slotsOf(client, master.port)).toBe(master.slots);

    expect(await flat.removeIdsFromMany(feeds, [id(1)])).toBe(feeds.length);
    expect(await flat.addToMany(feeds, [new DehydratedActivity(id(3))])).toBe(feeds.length);
    for (const feed of feeds.slice(0, 20)) expect(await flat.count(feed)).toBe(2);
  });
});

/** How many slots the client's slot map gives the node on `port`. */
function slotsOf(client: Cluster, port: number): number {
  return client.slots.filter((entry) => entry?.[0] === `${HOST}:${port}`).length;
}
