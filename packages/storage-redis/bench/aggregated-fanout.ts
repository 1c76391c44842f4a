/**
 * Aggregated fanout figures for bench/run.ts: the same activities fanned out to the same number
 * of aggregated feeds through the batched path (`modifyMany`, the default) and through the locked
 * per-feed path (`batchedAggregatedWrites: false`), in the same run.
 *
 * Environment: BENCH_AGG_FEEDS (2000 feeds), BENCH_AGG_ROUNDS (30 activities, one addToMany per
 * activity and chunk), BENCH_AGG_CHUNK (BENCH_CHUNK), BENCH_IN_FLIGHT (16 chunks in flight).
 * SF_PYTHON_BENCH: a shell command that runs Python Stream Framework's aggregated fanout against
 * the same Redis and prints `aggregated_fanout_writes_per_s: <n>` (see the README).
 */
import { execSync } from 'node:child_process';
import { Activity, Love } from '@sf/activity';
import { AggregatedFeed } from '@sf/feeds';
import { forEachLimited } from '@sf/feeds/backend';
import type { Redis } from 'ioredis';
import { redisStorage } from '../src/index.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** Writes per second, and the client's CPU time (user + system) per write in microseconds. */
export interface FanoutRate {
  rate: number;
  cpuMicros: number;
}

export interface AggregatedFanoutFigures {
  batched: FanoutRate;
  locked: FanoutRate;
  writes: number;
  python: number | null;
}

/** Python SF's figure, when SF_PYTHON_BENCH names a command that measures it. */
function pythonFigure(): number | null {
  const command = process.env.SF_PYTHON_BENCH;
  if (!command) return null;
  const output = execSync(command, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const match = /aggregated_fanout_writes_per_s:\s*([\d.]+)/.exec(output);
  if (!match)
    throw new Error(`SF_PYTHON_BENCH printed no aggregated_fanout_writes_per_s: ${output}`);
  return Number(match[1]);
}

export async function aggregatedFanout(
  redis: Redis,
  prefix: string,
  defaults: { chunk: number; inFlight: number; maxLength: number },
): Promise<AggregatedFanoutFigures> {
  const feeds = env('BENCH_AGG_FEEDS', 2000);
  const rounds = env('BENCH_AGG_ROUNDS', 30);
  const chunk = env('BENCH_AGG_CHUNK', defaults.chunk);
  const inFlight = defaults.inFlight;
  const userIds = Array.from({ length: feeds }, (_, i) => i + 1);
  // Two verbs' worth of groups per day, as a follower of several pinners sees: each write merges
  // into an existing group or starts one.
  const activities = Array.from(
    { length: rounds },
    (_, round) =>
      new Activity({
        actor: 13 + (round % 3),
        verb: Love,
        object: 5000 + round,
        time: Date.UTC(2024, 0, 1) + Math.floor(round / 10) * 86_400_000 + round * 1000,
        extraContext: { itemId: round },
      }),
  );
  const run = async (batched: boolean, keyFormat: string): Promise<FanoutRate> => {
    const storage = redisStorage({
      redis,
      keyPrefix: prefix,
      batchedAggregatedWrites: batched,
    });
    const definition = AggregatedFeed.define({
      name: 'aggregated',
      keyFormat,
      maxLength: defaults.maxLength,
      storage,
    });
    await definition.insertActivities(activities);
    const chunks = Array.from({ length: Math.ceil(feeds / chunk) }, (_, index) =>
      userIds.slice(index * chunk, (index + 1) * chunk),
    );
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for (const activity of activities) {
      await forEachLimited(chunks, inFlight, async (users) => {
        await definition.addToMany(users, [activity]);
      });
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    // Every feed holds every activity once.
    const sample = await definition.for(feeds).get();
    const stored = sample.flatMap((group) => group.activityIds).length;
    if (stored !== rounds) throw new Error(`feed holds ${stored} activities, expected ${rounds}`);
    const writes = feeds * rounds;
    return { rate: writes / elapsed, cpuMicros: (used.user + used.system) / writes };
  };
  const none = { rate: 0, cpuMicros: 0 };
  const only = process.env.BENCH_AGG_ONLY;
  const batched = only === 'locked' ? none : await run(true, 'feed:aggregated:{userId}');
  const locked = only === 'batched' ? none : await run(false, 'feed:aggregated-locked:{userId}');
  return { batched, locked, writes: feeds * rounds, python: pythonFigure() };
}
