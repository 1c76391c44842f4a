import { Activity, Love } from '@sf/activity';
import type { AggregatedActivity } from '@sf/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatedFeed } from '../aggregated-feed.js';
import type { StorageBackend } from '../backend/contracts.js';
import { NotificationFeed } from '../notification-feed.js';
import type { NotificationFeedDefinition } from '../notification-feed.js';

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
/** Per writer in the fanout tests (each write goes to several feeds). */
const PER_WRITER_FANOUT = 10;
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
 * The activities of the tests, GROUPS groups: for aggregated feeds by verb + day (12 or 13 each
 * for 1,000 activities), for notification feeds by verb + object + day.
 */
function writerActivities(count: number, kind: 'aggregated' | 'notification'): Activity[] {
  return Array.from({ length: count }, (_, k) =>
    kind === 'aggregated'
      ? new Activity({
          actor: k % 20,
          verb: Love,
          object: k,
          time: BASE + (k % GROUPS) * DAY + Math.floor(k / GROUPS) * 1000,
        })
      : new Activity({
          actor: k % 20,
          verb: Love,
          object: k % GROUPS,
          time: BASE + k * 1000,
          extraContext: { k },
        }),
  );
}

/** Splits activities round-robin over the writers. */
function split<T>(items: readonly T[], writers: number): T[][] {
  return Array.from({ length: writers }, (_, w) => items.filter((_, k) => k % writers === w));
}

/** Every activity exactly once in the aggregated feed: no group lost or duplicated. */
async function expectAggregatedExactlyOnce(
  feed: AggregatedFeed,
  all: readonly Activity[],
): Promise<void> {
  expect(await feed.count()).toBe(GROUPS);
  const groups = await feed.get();
  expect(groups).toHaveLength(GROUPS);
  expect(new Set(groups.map((group) => group.group)).size).toBe(GROUPS);
  const stored = groups.flatMap((group) => group.activityIds);
  expect(stored).toHaveLength(all.length);
  expect(new Set(stored)).toEqual(new Set(all.map((activity) => activity.serializationId)));
  expect(groups.every((group) => group.minimizedActivities === 0)).toBe(true);
}

/** Every activity exactly once in the notification feed, its markers naming every group once. */
async function expectNotificationExactlyOnce(
  definition: NotificationFeedDefinition,
  userId: number,
  all: readonly Activity[],
): Promise<void> {
  const feed = definition.for(userId);
  expect(await feed.count()).toBe(GROUPS);
  const groups = await feed.get();
  const stored = groups.flatMap((group) =>
    group.activities.map((activity) => activity.serializationId),
  );
  expect(stored).toHaveLength(all.length);
  expect(new Set(stored)).toEqual(new Set(all.map((activity) => activity.serializationId)));
  expect(await feed.counts()).toEqual({ unseen: GROUPS, unread: GROUPS });
  const markers = await definition.markers.get(definition.markersKeyFor(userId));
  expect(markers.unseen).toHaveLength(GROUPS);
  expect(new Set(markers.unseen)).toEqual(new Set(groups.map((group) => group.serializationId)));
}

/** What a feed holds, in order, for comparing two feeds. */
async function contentsOf(feed: AggregatedFeed): Promise<unknown[]> {
  return (await feed.get()).map((group) => ({
    id: group.serializationId,
    group: group.group,
    activityIds: group.activityIds,
  }));
}

/**
 * Many writers (one backend each) add to the same aggregated and notification feeds at once:
 * every activity must end up exactly once, no group lost or duplicated, markers right. Writers
 * write one feed at a time (`add`: a locked read-modify-write), fan out to several feeds at once
 * (`addToMany`: batched on backends with `batchedAggregatedWrites`), or both on the same feeds.
 * For backends whose `capabilities.atomicAggregatedWrites` is `cross-process`.
 */
export function runConcurrentWritersSuite(options: ConcurrentWritersSuiteOptions): void {
  const { backends, timeout = 120_000 } = options;
  const writers = backends.length;
  const batched = backends[0]!.capabilities.batchedAggregatedWrites === true;
  const aggregated = (keyFormat = 'feed:aggregated:{userId}') =>
    backends.map((storage) => AggregatedFeed.define({ name: 'aggregated', keyFormat, storage }));
  const notification = (keyFormat = 'notification_feed:{userId}') =>
    backends.map((storage) =>
      NotificationFeed.define({ name: 'notification', keyFormat, storage }),
    );

  describe(`concurrent writers (${options.name})`, () => {
    if (options.setup) beforeAll(options.setup, timeout);
    afterAll(options.cleanup, 60_000);

    it(
      `${writers} writers x ${PER_WRITER} activities into one aggregated feed: each activity exactly once`,
      { timeout },
      async () => {
        const all = writerActivities(writers * PER_WRITER, 'aggregated');
        const definitions = aggregated();
        await definitions[0]!.insertActivities(all);
        await race(split(all, writers), (writer, activity) =>
          definitions[writer]!.for(1).add(activity),
        );
        await expectAggregatedExactlyOnce(definitions[0]!.for(1), all);
      },
    );

    it(
      `${writers} writers x ${PER_WRITER} activities into one notification feed: each once, unseen count right`,
      { timeout },
      async () => {
        const all = writerActivities(writers * PER_WRITER, 'notification');
        const definitions = notification();
        await race(split(all, writers), (writer, activity) =>
          definitions[writer]!.for(21).add(activity),
        );
        await expectNotificationExactlyOnce(definitions[0]!, 21, all);
      },
    );

    it(
      `${writers} writers fan out ${PER_WRITER_FANOUT} activities each to the same 3 aggregated feeds (addToMany${batched ? ', batched' : ''}): each exactly once`,
      { timeout },
      async () => {
        const all = writerActivities(writers * PER_WRITER_FANOUT, 'aggregated');
        const definitions = aggregated();
        await definitions[0]!.insertActivities(all);
        await race(split(all, writers), (writer, activity) =>
          definitions[writer]!.addToMany([101, 102, 103], [activity]),
        );
        for (const userId of [101, 102, 103])
          await expectAggregatedExactlyOnce(definitions[0]!.for(userId), all);
      },
    );

    it(
      `${writers} writers, half fanning out (addToMany) and half writing one feed at a time (add), on the same aggregated and notification feeds: no group lost or duplicated`,
      { timeout },
      async () => {
        const all = writerActivities(writers * PER_WRITER_FANOUT, 'aggregated');
        const aggregatedDefinitions = aggregated();
        await aggregatedDefinitions[0]!.insertActivities(all);
        await race(split(all, writers), async (writer, activity) => {
          const definition = aggregatedDefinitions[writer]!;
          if (writer % 2 === 0) await definition.addToMany([201, 202], [activity]);
          else await Promise.all([201, 202].map((userId) => definition.for(userId).add(activity)));
        });
        for (const userId of [201, 202])
          await expectAggregatedExactlyOnce(aggregatedDefinitions[0]!.for(userId), all);

        const notifications = writerActivities(writers * PER_WRITER_FANOUT, 'notification');
        const notificationDefinitions = notification();
        await race(split(notifications, writers), async (writer, activity) => {
          const definition = notificationDefinitions[writer]!;
          if (writer % 2 === 0) await definition.addToMany([211, 212], [activity]);
          else await Promise.all([211, 212].map((userId) => definition.for(userId).add(activity)));
        });
        for (const userId of [211, 212])
          await expectNotificationExactlyOnce(notificationDefinitions[0]!, userId, notifications);
      },
    );

    it(
      'a fanout (addToMany) leaves each feed as writing it one activity at a time does: same groups, same order, same markers',
      { timeout },
      async () => {
        const users = Array.from({ length: 12 }, (_, i) => 301 + i);
        // 4 verbs-days x 3 objects, written in an order that moves groups up and down.
        const sequence = Array.from(
          { length: 16 },
          (_, k) =>
            new Activity({
              actor: 7,
              verb: Love,
              object: (k * 5) % 3,
              time: BASE + ((k * 7) % 4) * DAY + k * 1000,
              extraContext: { k },
            }),
        );
        const [fanout] = aggregated();
        const [reference] = aggregated('feed:aggregated-reference:{userId}');
        await fanout!.insertActivities(sequence);
        const [notificationFanout] = notification();
        const [notificationReference] = notification('notification_reference:{userId}');
        for (const activity of sequence) {
          await fanout!.addToMany(users, [activity]);
          await notificationFanout!.addToMany(users, [activity]);
          for (const userId of users) {
            await reference!.for(userId).add(activity);
            await notificationReference!.for(userId).add(activity);
          }
        }
        for (const userId of users) {
          const expected = await contentsOf(reference!.for(userId));
          expect(expected.length).toBeGreaterThan(1);
          expect(await contentsOf(fanout!.for(userId))).toEqual(expected);
          const expectedNotifications = await contentsOf(notificationReference!.for(userId));
          expect(await contentsOf(notificationFanout!.for(userId))).toEqual(expectedNotifications);
          expect(
            await notificationFanout!.markers.get(notificationFanout!.markersKeyFor(userId)),
          ).toEqual(
            await notificationReference!.markers.get(notificationReference!.markersKeyFor(userId)),
          );
        }
      },
    );

    it.skipIf(!batched)(
      'modifyMany: a feed changed by a locked writer between its read and its write is read and merged again, or skipped when out of attempts',
      { timeout },
      async () => {
        const [definition] = aggregated();
        const [other] = aggregated();
        const activities = [1, 2, 3, 4, 5].map(
          (object) => new Activity({ actor: 9, verb: Love, object, time: BASE + object * 1000 }),
        );
        const [a1, a2, a3, a4, a5] = activities as [
          Activity,
          Activity,
          Activity,
          Activity,
          Activity,
        ];
        const byId = new Map(activities.map((activity) => [activity.serializationId, activity]));
        await definition!.insertActivities(activities);
        const timeline = definition!.timeline;
        const modifyMany = (...args: Parameters<NonNullable<typeof timeline.modifyMany>>) =>
          timeline.modifyMany!(...args);
        /** Merges `activity` into what was read, as the aggregated feed does. */
        const mergeInto = (current: AggregatedActivity[], activity: Activity) => {
          const hydrated = current.map((item) => item.hydrate(byId));
          const merged = definition!.aggregator.merge(hydrated, [activity]);
          return {
            remove: merged.changed.map(([from]) => current[hydrated.indexOf(from)]!),
            add: [...merged.new, ...merged.changed.map(([, to]) => to)],
          };
        };
        await definition!.for(401).add(a1);
        const key = definition!.keyFor(401);
        let calls = 0;
        const result = await modifyMany([key], { maxLength: 100 }, async (feedKey, read) => {
          calls += 1;
          const current = await read({ offset: 0, limit: 20 });
          // Another process's locked write lands between this read and this write.
          if (calls === 1) await other!.for(401).add(a2);
          return mergeInto(current, a3);
        });
        expect(calls).toBe(2);
        expect(result.skipped).toEqual([]);
        expect([...result.written.keys()]).toEqual([key]);
        const groups = await definition!.for(401).get();
        expect(groups).toHaveLength(1);
        expect(new Set(groups[0]!.activityIds)).toEqual(
          new Set([a1, a2, a3].map((activity) => activity.serializationId)),
        );

        // Out of attempts: skipped, nothing of it written, the other writer's change kept.
        const skipped = await modifyMany(
          [key],
          { maxLength: 100, attempts: 1 },
          async (_feedKey, read) => {
            const current = await read({ offset: 0, limit: 20 });
            await other!.for(401).add(a4);
            return mergeInto(current, a5);
          },
        );
        expect(skipped).toEqual({ written: new Map(), skipped: [key] });
        const after = await definition!.for(401).get();
        expect(after).toHaveLength(1);
        expect(new Set(after[0]!.activityIds)).toEqual(
          new Set([a1, a2, a3, a4].map((activity) => activity.serializationId)),
        );
      },
    );
  });
}
