import { Activity, Love } from '@sf/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatedFeed } from '../aggregated-feed.js';
import type { StorageBackend } from '../backend/contracts.js';
import { NotificationFeed } from '../notification-feed.js';

export interface ConcurrentWritersSuiteOptions {
  /** Shown in the test names, e.g. `redis (cluster)`. */
  name: string;
  /**
   * One backend per writer, each with its own connections, like separate worker processes:
   * only what the backend shares (its lock) keeps them apart. At least 2.
   */
  backends: readonly StorageBackend[];
  /** Runs before the tests (e.g. schema sync). */
  setup?: () => Promise<void>;
  /** Removes what the tests wrote and closes the connections. */
  cleanup: () => Promise<void>;
  /** Per-test timeout in ms (default 120000; a shared lock queues every write of one feed). */
  timeout?: number;
}

const PER_WRITER = 50;
const GROUPS = 80; // 12 or 13 activities per group: below the 15 an aggregated activity keeps
const BASE = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

/** Runs `writers` in parallel, each over its own list of activities, one activity per write. */
async function race(
  writers: Activity[][],
  write: (writer: number, activity: Activity) => Promise<unknown>,
): Promise<void> {
  await Promise.all(
    writers.map(async (activities, writer) => {
      for (const activity of activities) await write(writer, activity);
    }),
  );
}

/**
 * Many writers (one backend each) add to the same aggregated and notification feed at once:
 * every activity must end up exactly once, no group lost or duplicated, markers right. For
 * backends whose `capabilities.atomicAggregatedWrites` is `cross-process`.
 */
export function runConcurrentWritersSuite(options: ConcurrentWritersSuiteOptions): void {
  const { backends, timeout = 120_000 } = options;
  const writers = backends.length;
  describe(`concurrent writers (${options.name})`, () => {
    if (options.setup) beforeAll(options.setup, timeout);
    afterAll(options.cleanup, 60_000);

    it(
      `${writers} writers x ${PER_WRITER} activities into one aggregated feed: each activity exactly once`,
      { timeout },
      async () => {
        const all = Array.from(
          { length: writers * PER_WRITER },
          (_, k) =>
            new Activity({
              actor: k % writers,
              verb: Love,
              object: k,
              time: BASE + (k % GROUPS) * DAY + Math.floor(k / GROUPS) * 1000,
            }),
        );
        const definitions = backends.map((storage) =>
          AggregatedFeed.define({
            name: 'aggregated',
            keyFormat: 'feed:aggregated:{userId}',
            storage,
          }),
        );
        await definitions[0]!.insertActivities(all);
        const perWriter = Array.from({ length: writers }, (_, w) =>
          all.filter((_, k) => k % writers === w),
        );
        await race(perWriter, (writer, activity) => definitions[writer]!.for(1).add(activity));

        const feed = definitions[0]!.for(1);
        expect(await feed.count()).toBe(GROUPS);
        const groups = await feed.get();
        expect(groups).toHaveLength(GROUPS);
        expect(new Set(groups.map((group) => group.group)).size).toBe(GROUPS);
        const stored = groups.flatMap((group) => group.activityIds);
        expect(stored).toHaveLength(all.length);
        expect(new Set(stored)).toEqual(new Set(all.map((activity) => activity.serializationId)));
        expect(groups.every((group) => group.minimizedActivities === 0)).toBe(true);
      },
    );

    it(
      `${writers} writers x ${PER_WRITER} activities into one notification feed: each once, unseen count right`,
      { timeout },
      async () => {
        const all = Array.from(
          { length: writers * PER_WRITER },
          (_, k) =>
            new Activity({
              actor: k % writers,
              verb: Love,
              object: k % GROUPS,
              time: BASE + k * 1000,
              extraContext: { k },
            }),
        );
        const definitions = backends.map((storage) =>
          NotificationFeed.define({
            name: 'notification',
            keyFormat: 'notification_feed:{userId}',
            storage,
          }),
        );
        const perWriter = Array.from({ length: writers }, (_, w) =>
          all.filter((_, k) => k % writers === w),
        );
        await race(perWriter, (writer, activity) => definitions[writer]!.for(21).add(activity));

        const feed = definitions[0]!.for(21);
        expect(await feed.count()).toBe(GROUPS);
        const groups = await feed.get();
        const stored = groups.flatMap((group) =>
          group.activities.map((activity) => activity.serializationId),
        );
        expect(stored).toHaveLength(all.length);
        expect(new Set(stored)).toEqual(new Set(all.map((activity) => activity.serializationId)));
        expect(await feed.counts()).toEqual({ unseen: GROUPS, unread: GROUPS });
        const markers = await definitions[0]!.markers.get('notification_feed:21');
        expect(new Set(markers.unseen)).toEqual(
          new Set(groups.map((group) => group.serializationId)),
        );
      },
    );
  });
}
