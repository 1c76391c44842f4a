import { describe, expect, it } from 'vitest';
import { StatsD } from 'hot-shots';
import { StatsdMetrics, statsdMetrics } from './index.js';
import type { StatsdClientLike } from './index.js';

function recorder(): StatsdClientLike & { lines: string[]; closed: boolean } {
  const lines: string[] = [];
  return {
    lines,
    closed: false,
    increment(stat, value) {
      lines.push(`${stat}:${value}|c`);
    },
    timing(stat, value) {
      lines.push(`${stat}:${value}|ms`);
    },
    close(callback) {
      this.closed = true;
      callback?.();
    },
  };
}

describe('StatsdMetrics', () => {
  it("names metrics as Stream Framework's StatsdMetrics", () => {
    const client = recorder();
    const metrics = statsdMetrics({ client });
    metrics.onFeedRead('normal', 25);
    metrics.onFeedWrite('normal', 3);
    metrics.onFeedRemove('aggregated', 2);
    metrics.onFanout('normal', 'add', 100);
    metrics.onFanout('normal', 'remove', 7);
    metrics.onActivityPublished();
    metrics.onActivityRemoved();
    metrics.onMissingActivities('normal', 4);
    for (const event of ['hit', 'miss', 'eviction', 'invalidation', 'flush'] as const)
      metrics.onActivityCache(event, 2);
    expect(client.lines).toEqual([
      'stream_framework.normal.reads:25|c',
      'stream_framework.normal.writes:3|c',
      'stream_framework.aggregated.deletes:2|c',
      'stream_framework.normal.fanout.add:100|c',
      'stream_framework.normal.fanout.remove:7|c',
      'stream_framework.activities.published:1|c',
      'stream_framework.activities.removed:1|c',
      'stream_framework.normal.missing_activities:4|c',
      'stream_framework.activity_cache.hits:2|c',
      'stream_framework.activity_cache.misses:2|c',
      'stream_framework.activity_cache.evictions:2|c',
      'stream_framework.activity_cache.invalidations:2|c',
      'stream_framework.activity_cache.flushes:2|c',
    ]);
  });

  it('counts fanout skips of inactive users and rebuilt feeds', () => {
    const client = recorder();
    const metrics = new StatsdMetrics({ client });
    metrics.onFanoutSkipped('normal', 80);
    metrics.onFanoutSkipped('normal', 0);
    metrics.onFeedRebuilt('aggregated', 42);
    expect(client.lines).toEqual([
      'stream_framework.normal.fanout.skipped:80|c',
      'stream_framework.aggregated.rebuilt:1|c',
      'stream_framework.aggregated.rebuilt_activities:42|c',
    ]);
  });

  it('times fanouts and reads in milliseconds, once per timer', async () => {
    const client = recorder();
    const metrics = new StatsdMetrics({ client, prefix: 'app.feeds.' });
    const timer = metrics.fanoutTimer('normal');
    await new Promise((resolve) => setTimeout(resolve, 15));
    timer.stop();
    timer.stop();
    metrics.feedReadTimer('aggregated').stop();
    expect(client.lines).toHaveLength(2);
    const [fanout, read] = client.lines;
    const elapsed = Number(/^app\.feeds\.normal\.fanout_latency:([\d.]+)\|ms$/.exec(fanout!)![1]);
    expect(elapsed).toBeGreaterThanOrEqual(10);
    expect(elapsed).toBeLessThan(5000);
    expect(read).toMatch(/^app\.feeds\.aggregated\.read_latency:\d+(\.\d+)?\|ms$/);
  });

  it('sends bare names with an empty prefix and skips zero counts', () => {
    const client = recorder();
    const metrics = statsdMetrics({ client, prefix: '' });
    metrics.onFeedRead('normal', 0);
    metrics.onFeedWrite('normal', 1);
    metrics.onFanout('weird name:|x', 'add', 1);
    expect(client.lines).toEqual(['normal.writes:1|c', 'weird_name__x.fanout.add:1|c']);
  });

  it('never throws, even when the client does, and reports the error', () => {
    const errors: unknown[] = [];
    const broken: StatsdClientLike = {
      increment() {
        throw new Error('socket gone');
      },
      timing() {
        throw new Error('socket gone');
      },
      close() {},
    };
    const metrics = statsdMetrics({ client: broken, onError: (error) => errors.push(error) });
    expect(() => metrics.onFeedWrite('normal', 1)).not.toThrow();
    expect(() => metrics.fanoutTimer('normal').stop()).not.toThrow();
    expect(errors).toHaveLength(2);
  });

  it('leaves a given client open on close, and drops metrics after close', async () => {
    const client = recorder();
    const metrics = statsdMetrics({ client });
    await metrics.close();
    expect(client.closed).toBe(false);
    metrics.onActivityPublished();
    expect(client.lines).toEqual([]);
  });

  it('creates a hot-shots client with host, port and extra options, and closes it', async () => {
    const metrics = statsdMetrics({ host: '127.0.0.1', port: 8125, clientOptions: { mock: true } });
    expect(metrics.client).toBeInstanceOf(StatsD);
    metrics.onFeedWrite('normal', 2);
    expect((metrics.client as StatsD).mockBuffer).toEqual(['stream_framework.normal.writes:2|c']);
    await metrics.close();
    await metrics.close();
    expect(() => statsdMetrics({ port: 0 })).toThrow(/port must be an integer/);
  });
});
