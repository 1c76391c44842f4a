import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @sf/activity, @sf/storage-memory and @sf/manager are not dependencies of this package (yet):
// the test reaches their sources through the workspace.
import { Activity, defineVerb } from '@sf/activity';
import { AggregatedFeed, Feed } from '@sf/feeds';
import { memoryStorage } from '@sf/storage-memory';
import { InProcessFanoutQueue, Manager } from '@sf/manager';
import { statsdMetrics } from '../../src/index.js';
import type { StatsdMetrics } from '../../src/index.js';

const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });

/** A StatsD server: a real UDP socket on 127.0.0.1 collecting metric lines. */
let server: Socket;
let lines: string[];
let metrics: StatsdMetrics;

beforeEach(async () => {
  lines = [];
  server = createSocket('udp4');
  server.on('message', (message) =>
    lines.push(...message.toString('utf8').split('\n').filter(Boolean)),
  );
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  metrics = statsdMetrics({ host: '127.0.0.1', port: server.address().port, prefix: 'sf_test' });
});

afterEach(async () => {
  await metrics.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Waits until `count` lines arrived (and a little longer, to catch extra ones). */
async function received(count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  while (lines.length < count && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const taken = lines.splice(0);
  // Timer values vary: show them as <ms> after checking they are numbers.
  return taken.map((line) => line.replace(/:\d+(\.\d+)?\|ms$/, ':<ms>|ms'));
}

function app() {
  const storage = memoryStorage();
  const normal = Feed.define({
    name: 'normal',
    keyFormat: 'feed:normal:{userId}',
    storage,
    metrics,
  });
  const aggregated = AggregatedFeed.define({
    name: 'aggregated',
    keyFormat: 'feed:aggregated:{userId}',
    storage,
    metrics,
  });
  const userFeed = Feed.defineUserFeed({
    name: 'user',
    keyFormat: 'feed:user:{userId}',
    storage,
    metrics,
  });
  const manager = new Manager({
    feeds: { normal, aggregated },
    userFeed,
    getFollowerIds: async () => [10, 11],
    metrics,
    // One task at a time, so the metric lines come in a fixed order.
    queue: new InProcessFanoutQueue({ concurrency: 1 }),
  });
  return { manager, normal, aggregated };
}

describe('statsdMetrics over UDP', () => {
  it('sends the exact lines of a publish, a read and a removal', async () => {
    const { manager, normal, aggregated } = app();
    const activity = new Activity({ actor: 1, verb: Pin, object: 7, time: Date.UTC(2026, 0, 1) });

    await manager.addUserActivity(1, activity);
    expect(await received(10)).toEqual([
      'sf_test.user.writes:1|c', // the activity storage
      'sf_test.user.writes:1|c', // the author's user feed
      'sf_test.normal.writes:2|c',
      'sf_test.normal.fanout_latency:<ms>|ms',
      'sf_test.normal.fanout.add:2|c',
      'sf_test.aggregated.writes:1|c',
      'sf_test.aggregated.writes:1|c',
      'sf_test.aggregated.fanout_latency:<ms>|ms',
      'sf_test.aggregated.fanout.add:2|c',
      'sf_test.activities.published:1|c',
    ]);

    expect(await normal.for(10).get()).toHaveLength(1);
    expect(await aggregated.for(11).get()).toHaveLength(1);
    expect(await received(4)).toEqual([
      'sf_test.normal.reads:1|c',
      'sf_test.normal.read_latency:<ms>|ms',
      'sf_test.aggregated.reads:1|c',
      'sf_test.aggregated.read_latency:<ms>|ms',
    ]);

    await manager.removeUserActivity(1, activity);
    expect(await received(9)).toEqual([
      'sf_test.user.deletes:1|c',
      'sf_test.normal.deletes:2|c',
      'sf_test.normal.fanout_latency:<ms>|ms',
      'sf_test.normal.fanout.remove:2|c',
      'sf_test.aggregated.deletes:1|c',
      'sf_test.aggregated.deletes:1|c',
      'sf_test.aggregated.fanout_latency:<ms>|ms',
      'sf_test.aggregated.fanout.remove:2|c',
      'sf_test.activities.removed:1|c',
    ]);
  });

  it('reports activities missing from the activity storage on read', async () => {
    const { manager, normal } = app();
    const activity = new Activity({ actor: 1, verb: Pin, object: 8, time: Date.UTC(2026, 0, 2) });
    await manager.addUserActivity(1, activity);
    await received(10);
    await normal.removeActivity(activity);
    expect(await normal.for(10).get()).toEqual([]);
    expect(await received(3)).toEqual([
      'sf_test.normal.deletes:1|c',
      'sf_test.normal.missing_activities:1|c',
      'sf_test.normal.read_latency:<ms>|ms',
    ]);
  });

  it('buffers lines into one packet when asked, with the default prefix', async () => {
    await metrics.close();
    const packets: string[] = [];
    server.on('message', (message) => packets.push(message.toString('utf8')));
    metrics = statsdMetrics({
      host: '127.0.0.1',
      port: server.address().port,
      clientOptions: { maxBufferSize: 1000, bufferFlushInterval: 50 },
    });
    metrics.onFeedWrite('normal', 3);
    metrics.onFanout('normal', 'add', 300);
    metrics.onActivityPublished();
    await metrics.close();
    expect(await received(3)).toEqual([
      'stream_framework.normal.writes:3|c',
      'stream_framework.normal.fanout.add:300|c',
      'stream_framework.activities.published:1|c',
    ]);
    expect(packets).toHaveLength(1);
  });
});
