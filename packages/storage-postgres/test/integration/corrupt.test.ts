import { Activity, Love, SerializationError } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  PostgresCorruptRowError,
  type CorruptRowPolicy,
  type PostgresStorage,
} from '../../src/index.js';
import { createPool, dropStorage, testStorage } from './helpers.js';

const activity = (n: number) =>
  new Activity({ actor: 1, verb: Love, object: n, time: Date.UTC(2024, 0, 1) + n * 1000 });

/**
 * Corrupt rows: by default a read skips them and reports a PostgresCorruptRowError (a
 * SerializationError naming the table, the key and the id) to onCorruptRow; with corruptRows:
 * 'throw' the read fails with that error. A page with one corrupt row still renders the rest.
 */
const pool = createPool();
const storages: PostgresStorage[] = [];
let reported: PostgresCorruptRowError[] = [];
afterEach(async () => {
  await Promise.all(storages.splice(0).map(dropStorage));
  reported = [];
});
afterAll(async () => {
  await pool.end();
});

async function backend(
  corruptRows: CorruptRowPolicy = 'skip',
  format: 'json' | 'stream-framework' = 'json',
): Promise<PostgresStorage> {
  const storage = await testStorage(pool, {
    format,
    corruptRows,
    onCorruptRow: (error) => reported.push(error),
  });
  storages.push(storage);
  return storage;
}

describe('corrupt rows', () => {
  for (const format of ['json', 'stream-framework'] as const) {
    it(`skips and reports a corrupt timeline row and a corrupt activity row (${format})`, async () => {
      const storage = await backend('skip', format);
      const missing: string[] = [];
      const definition = Feed.define({
        name: 'normal',
        keyFormat: 'feed:normal:{userId}',
        storage,
        onMissingActivities: (_key, ids) => missing.push(...ids),
      });
      const activities = [1, 2, 3, 4].map((n) =>
        activity(n).withIdScheme(format === 'json' ? 'actor' : 'stream-framework'),
      );
      await definition.insertActivities(activities);
      await definition.for(1).addMany(activities);
      const [, second, third] = activities.map((a) => a.serializationId);
      // a timeline row whose value is no id, and garbage in the activity row of activity 2
      await pool.query(
        `UPDATE "${storage.schema}".timeline_entries SET value = '\\x00ff6e6f74'::bytea WHERE id = $1`,
        [third],
      );
      await pool.query(
        `UPDATE "${storage.schema}".activities SET value = convert_to('garbage;;,,', 'UTF8') WHERE id = $1`,
        [second],
      );
      const page = await definition.for(1).get();
      expect(page.map((a) => a.objectId)).toEqual([4, 1]);
      expect(reported).toHaveLength(2);
      expect(reported.every((error) => error instanceof SerializationError)).toBe(true);
      const [row, value] = reported as [PostgresCorruptRowError, PostgresCorruptRowError];
      expect(row.table).toBe(`${storage.schema}.timeline_entries`);
      expect(row.key).toBe('feed:normal:1');
      expect(row.id).toBe(third);
      expect(row.message).toContain(`${storage.schema}.timeline_entries`);
      expect(row.message).toContain('"feed:normal:1"');
      expect(value.table).toBe(`${storage.schema}.activities`);
      expect(value.id).toBe(second);
      // the activity whose row is corrupt counts as missing for the feed (skipped, reported)
      expect(missing).toEqual([second]);
      // pages and filters around the bad rows still read
      expect((await definition.for(1).get({ offset: 2 })).map((a) => a.objectId)).toEqual([1]);
      expect(
        (
          await definition.for(1).filter({ activityIdLt: activities[3]!.serializationId }).get()
        ).map((a) => a.objectId),
      ).toEqual([1]);
    });
  }

  it('skips a corrupt aggregated row, and aggregation around it keeps working', async () => {
    const storage = await backend();
    const definition = AggregatedFeed.define({
      name: 'aggregated',
      keyFormat: 'feed:aggregated:{userId}',
      storage,
    });
    const activities = [1, 2, 3].map(activity);
    await definition.insertActivities(activities);
    await definition.for(1).addMany(activities.slice(0, 2));
    await pool.query(
      `INSERT INTO "${storage.schema}".aggregated_entries (feed_key, id, grp, value)
       VALUES ('feed:aggregated:1', 1704067199000, 'x', convert_to('v3this is not;;an aggregated activity', 'UTF8'))`,
    );
    await definition.for(1).add(activities[2]!);
    const groups = await definition.for(1).get();
    expect(groups.map((group) => group.activityIds.length)).toEqual([3]);
    expect(reported.length).toBeGreaterThan(0);
    expect(reported[0]!.key).toBe('feed:aggregated:1');
    expect(reported[0]!.table).toBe(`${storage.schema}.aggregated_entries`);
    expect(reported[0]!.id).toBe('1704067199000');
    expect(await definition.for(1).count()).toBe(2); // the corrupt row stays until trimmed or deleted
  });

  it('fails the read with the same error when corruptRows is "throw"', async () => {
    const storage = await backend('throw');
    const definition = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
    const activities = [1, 2].map(activity);
    await definition.insertActivities(activities);
    await definition.for(1).addMany(activities);
    await pool.query(
      `INSERT INTO "${storage.schema}".timeline_entries (feed_key, id, value) VALUES ('feed:normal:1', 1, 'garbage')`,
    );
    const error = await definition
      .for(1)
      .get()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostgresCorruptRowError);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as PostgresCorruptRowError).key).toBe('feed:normal:1');
    expect((error as PostgresCorruptRowError).id).toBe('1');
    expect(reported).toEqual([]);
    // pages without the bad row still read
    expect((await definition.for(1).get({ limit: 2 })).map((a) => a.objectId)).toEqual([2, 1]);
  });

  it('reports a corrupt notification row', async () => {
    const storage = await backend();
    const definition = NotificationFeed.define({
      name: 'notification',
      keyFormat: 'notification_feed:{userId}',
      storage,
    });
    await definition.for(1).add(activity(1));
    await pool.query(
      `INSERT INTO "${storage.schema}".aggregated_entries (feed_key, id, grp, value)
       VALUES ('notification_feed:1', 1, 'g', convert_to('{"broken json', 'UTF8'))`,
    );
    expect(await definition.for(1).get()).toHaveLength(1);
    expect(reported.map((error) => error.id)).toEqual(['1']);
  });
});
