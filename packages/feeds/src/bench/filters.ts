/**
 * The filter-index bench (`pnpm bench:filters` in a storage package): what verb and field indexes
 * (`index: { verb: true, field: 'board' }`) cost a fanout write, and what filtered reads cost
 * beside unfiltered ones and beside the scan a backend without indexes does. One body for every
 * backend, so that their figures stay comparable; the package creates and removes its storage.
 */
import { Activity, Add, Comment, Follow, Love } from '@sf/activity';
import { defineCapabilities } from '../backend/capabilities.js';
import type { StorageBackend } from '../backend/contracts.js';
import type { FeedIndexOptions } from '../base-feed.js';
import { Feed } from '../feed.js';
import { envNumber, median, percentile } from './stats.js';

export interface FiltersBenchOptions {
  /** Starts every printed line ('redis single', 'postgres'). */
  label: string;
  /** The backend under test; its feeds use keys under `bench:`. */
  storage: StorageBackend;
  /** Feeds per fanout write; default SF_BENCH_FEEDS, else 500. */
  feeds?: number;
  /** Timed fanout writes of each kind; default SF_BENCH_ROUNDS, else 60. */
  rounds?: number;
  /** Reads of each kind (the first 100 warm up and are not counted); default SF_BENCH_READS, else 2000. */
  reads?: number;
}

const MAX_LENGTH = 200;
const VERBS = [Love, Add, Comment, Follow];

const activity = (k: number) =>
  new Activity({
    actor: (k % 50) + 1,
    verb: VERBS[k % VERBS.length]!,
    object: k + 1,
    time: Date.UTC(2026, 0, 1) + k * 1000,
    extraContext: { board: `b${k % 10}`, title: `pin ${k}` },
  });

/** The same backend declaring no indexedFilters: filtered reads scan (what Cassandra does). */
function withoutIndexes(storage: StorageBackend): StorageBackend {
  return {
    name: storage.name,
    format: storage.format,
    capabilities: defineCapabilities({ ...storage.capabilities, indexedFilters: false }),
    timelineStorage: (options) => storage.timelineStorage(options),
    activityStorage: (options) => storage.activityStorage(options),
    markerStorage: (options) => storage.markerStorage(options),
  };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

/** Runs the bench against `storage` and prints its figures; asserts nothing about time. */
export async function runFiltersBench(options: FiltersBenchOptions): Promise<void> {
  const {
    label,
    storage,
    feeds: FEEDS = envNumber('SF_BENCH_FEEDS', 500),
    rounds: ROUNDS = envNumber('SF_BENCH_ROUNDS', 60),
    reads: READS = envNumber('SF_BENCH_READS', 2000),
  } = options;
  const define = (name: string, index?: FeedIndexOptions, backend = storage) =>
    Feed.define({
      name,
      keyFormat: `bench:${name}:{userId}`,
      maxLength: MAX_LENGTH,
      storage: backend,
      ...(index ? { index } : {}),
    });
  const plain = define('plain');
  const indexed = define('indexed', { verb: true, field: 'board' });
  const scanned = define('indexed', { verb: true, field: 'board' }, withoutIndexes(storage));
  const users = Array.from({ length: FEEDS }, (_, i) => i + 1);
  const all = Array.from({ length: ROUNDS + MAX_LENGTH }, (_, k) => activity(k));
  await plain.insertActivities(all);
  // Full feeds first, so that every timed write also trims (the steady state of a fanout).
  for (const definition of [plain, indexed])
    await definition.addToMany(users, all.slice(0, MAX_LENGTH));

  // Fanout writes, interleaved (plain, indexed, plain, ...) so both share the machine's noise;
  // each trims the oldest entry (and its index entries) away.
  const times = { plain: [] as number[], indexed: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, definition] of [
      ['plain', plain],
      ['indexed', indexed],
    ] as const) {
      const started = process.hrtime.bigint();
      await definition.addToMany(users, [all[MAX_LENGTH + round]!]);
      times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const perEntry = (list: number[]) => (median(list) * 1000) / FEEDS;
  console.log(
    `${label}: fanout of 1 activity to ${FEEDS} feeds (median of ${ROUNDS}): ` +
      `index off ${ms(median(times.plain))} (${perEntry(times.plain).toFixed(1)} µs/feed), ` +
      `index on ${ms(median(times.indexed))} (${perEntry(times.indexed).toFixed(1)} µs/feed), ` +
      `+${((median(times.indexed) / median(times.plain) - 1) * 100).toFixed(0)}%`,
  );

  // Reads of one full feed (MAX_LENGTH entries, 4 verbs, 10 boards), 25 per page, hydrated.
  const reader = 1;
  const feeds = {
    unfiltered: indexed.for(reader),
    'verb (index)': indexed.for(reader).filter({ verb: 'love' }),
    'board (index)': indexed.for(reader).filter({ extraContext: { board: 'b3' } }),
    'verb+board (index)': indexed
      .for(reader)
      .filter({ verb: 'love', extraContext: { board: 'b4' } }),
    'verb (scan)': scanned.for(reader).filter({ verb: 'love' }),
    'board (scan)': scanned.for(reader).filter({ extraContext: { board: 'b3' } }),
  };
  const latencies = new Map<string, number[]>(Object.keys(feeds).map((name) => [name, []]));
  for (let i = 0; i < READS; i++) {
    for (const [name, feed] of Object.entries(feeds)) {
      const started = process.hrtime.bigint();
      const page = await feed.get({ limit: 25 });
      if (page.length === 0) throw new Error(`bench: ${name} read nothing`);
      latencies.get(name)!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  for (const [name, list] of latencies) {
    const sorted = list.slice(100).sort((a, b) => a - b);
    console.log(
      `${label}: read 25 of ${MAX_LENGTH}, ${name.padEnd(18)} p50 ${ms(percentile(sorted, 50))}  p99 ${ms(percentile(sorted, 99))}`,
    );
  }
  const started = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) await feeds.unfiltered.countBy('verb');
  const indexedCount = Number(process.hrtime.bigint() - started) / 1e6 / 200;
  const scanStarted = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) await scanned.for(reader).countBy('verb');
  const scanCount = Number(process.hrtime.bigint() - scanStarted) / 1e6 / 200;
  console.log(
    `${label}: countBy('verb') of ${MAX_LENGTH} entries: index ${ms(indexedCount)}, scan ${ms(scanCount)} (mean of 200)`,
  );
}
