import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSerializationIds } from '@sf/activity';
import type { Activity } from '@sf/activity';
import { Feed } from '@sf/feeds';
import type { FeedIndexOptions } from '@sf/feeds';
import { ids, makeActivity, verbs } from '@sf/feeds/testing';
import { CassandraSchemaError, cassandraStorage } from '../../src/index.js';
import type { CassandraStorage, CassandraTimelineStorage } from '../../src/index.js';
import { indexTableName } from '../../src/cql.js';
import { createClient, keyspace, testStorage, uniquePrefix } from './helpers.js';

// Cassandra-specific cases of the write-time indexes (the shared filter suite runs in
// conformance.test.ts): what the index table holds after retries, trims, updates in place,
// removals and deletes, read straight from Cassandra, and feeds written before the index.

const client = createClient();

beforeAll(async () => {
  await client.connect();
});

afterAll(async () => {
  await client.shutdown();
});

const VERBS = [verbs.Love, verbs.Add, verbs.Comment];

const boardOf = (index: number) => `b${index % 3 === 0 ? 0 : index % 2 === 0 ? 1 : 2}`;

/** Activities `start + 1` to `start + count`, oldest first, cycling through verbs and boards. */
const activitiesOf = (count: number, start = 0): Activity[] =>
  Array.from({ length: count }, (_, i) =>
    makeActivity(start + i + 1, {
      verb: VERBS[(start + i) % 3],
      extraContext: { board: boardOf(start + i) },
    }),
  );

/** What countBy should say of some activities. */
function countsOf(activities: readonly Activity[], of: (a: Activity) => string) {
  const counts: Record<string, number> = {};
  for (const activity of activities) counts[of(activity)] = (counts[of(activity)] ?? 0) + 1;
  return counts;
}
const byVerb = (a: Activity) => a.verb.infinitive;
const byBoard = (a: Activity) => String(a.extraContext.board);

function define(
  storage: CassandraStorage,
  options: { name?: string; maxLength?: number; index?: FeedIndexOptions } = {},
) {
  return Feed.define({
    name: options.name ?? 'indexed',
    keyFormat: 'feed:indexed:{userId}',
    maxLength: options.maxLength ?? 100,
    storage,
    index: options.index ?? { verb: true, field: 'board' },
  });
}

/** The index rows of a feed, straight from the index table (markers apart). */
async function indexRows(
  storage: CassandraStorage,
  table: string,
  key: string,
): Promise<{ rows: string[]; markers: string[] }> {
  const result = await client.execute(
    `SELECT dimension, value, activity_id FROM "${keyspace}"."${indexTableName(table)}" WHERE feed_id = ?`,
    [storage.keyPrefix + key],
    { prepare: true },
  );
  const rows: string[] = [];
  const markers: string[] = [];
  for (const row of result.rows) {
    if (row.dimension === '#indexed') markers.push(String(row.value));
    else rows.push(`${String(row.dimension)}=${String(row.value)}@${String(row.activity_id)}`);
  }
  return { rows: rows.sort(), markers: markers.sort() };
}

/** The index rows a list of activities should have (verb and board). */
const expectedRows = (activities: readonly Activity[]): string[] =>
  activities
    .flatMap((activity) => [
      `verb=${activity.verb.id}@${activity.serializationId}`,
      `field:board=${String(activity.extraContext.board)}@${activity.serializationId}`,
    ])
    .sort();

const timelineOf = (definition: ReturnType<typeof define>) =>
  definition.timeline as unknown as CassandraTimelineStorage<Activity>;

describe('write-time indexes', () => {
  it('creates the index table with syncSchema (timeline table options, layout checked)', async () => {
    const space = `${keyspace}_ix`;
    const storage = cassandraStorage({
      client,
      keyspace: space,
      tableOptions: 'gc_grace_seconds = 3600',
    });
    try {
      define(storage, { name: 'pins' });
      Feed.define({ name: 'plain', keyFormat: 'feed:plain:{userId}', storage });
      const long = 'l'.repeat(46);
      define(storage, { name: long });
      const synced = await storage.syncSchema();
      expect(synced).toContain(`${space}.pins_idx`);
      expect(synced).toContain(`${space}.${indexTableName(long)}`);
      expect(indexTableName(long)).toMatch(/^l{35}_idx_[0-9a-f]{8}$/);
      // No index declared: no index table.
      expect(synced).not.toContain(`${space}.plain_idx`);
      const columns = await client.execute(
        'SELECT column_name, kind, type, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
        [space, 'pins_idx'],
      );
      expect(
        Object.fromEntries(
          columns.rows.map((row) => [
            row.column_name,
            `${row.kind}:${row.type}:${row.clustering_order}`,
          ]),
        ),
      ).toEqual({
        feed_id: 'partition_key:ascii:none',
        dimension: 'clustering:ascii:asc',
        value: 'clustering:text:asc',
        activity_id: 'clustering:varint:desc',
      });
      const options = await client.execute(
        'SELECT gc_grace_seconds FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
        [space, 'pins_idx'],
      );
      expect(options.rows[0]?.gc_grace_seconds).toBe(3600);
      // An index table of another layout is refused, naming what differs.
      await client.execute(
        `CREATE TABLE "${space}"."odd_idx" (feed_id ascii, dimension ascii, value int, activity_id varint, PRIMARY KEY (feed_id, dimension, value, activity_id))`,
      );
      const odd = cassandraStorage({ client, keyspace: space });
      const oddFeed = define(odd, { name: 'odd' });
      await expect(odd.syncSchema()).rejects.toThrow(CassandraSchemaError);
      await expect(oddFeed.for(1).filter({ verb: 'love' }).get()).rejects.toThrow(
        /odd_idx cannot be used: column value is int, expected text/,
      );
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS "${space}"`);
    }
  });

  it('pages filtered reads past one index page (200 ids), both orders, with id bounds', async () => {
    const keyPrefix = uniquePrefix('pages');
    const storage = testStorage(client, { keyPrefix });
    const definition = define(storage, { maxLength: 1000 });
    const activities = activitiesOf(630);
    await definition.for(1).addMany(activities);
    // The same entries in a feed written before the index: read by scanning, same answers.
    const before = define(testStorage(client, { keyPrefix }), { maxLength: 1000, index: {} });
    await before.for(2).addMany(activities);
    const loves = activities.filter((a) => a.verb.id === verbs.Love.id);
    const lovesOnB0 = loves.filter((a) => a.extraContext.board === 'b0');
    expect(loves.length).toBe(210);
    const bound = activities[500]!.serializationId;
    for (const user of [1, 2]) {
      const feed = definition.for(user);
      expect((await indexRows(storage, 'indexed', feed.key)).markers.length).toBe(
        user === 1 ? 2 : 0,
      );
      const love = feed.filter({ verb: 'love' });
      expect(ids(await love.get())).toEqual(ids([...loves].reverse()));
      expect(ids(await love.get({ offset: 195, limit: 10 }))).toEqual(
        ids([...loves].reverse().slice(195, 205)),
      );
      expect(ids(await love.orderBy('activity_id').get({ offset: 205, limit: 10 }))).toEqual(
        ids(loves.slice(205)),
      );
      expect(
        ids(await feed.filter({ verb: 'love', activityIdLt: bound }).get({ offset: 160 })),
      ).toEqual(
        ids(
          loves
            .filter((a) => compareSerializationIds(a.serializationId, bound) < 0)
            .reverse()
            .slice(160),
        ),
      );
      // Two conditions: the other one is checked on the rows, page after page.
      expect(
        ids(await feed.filter({ verb: 'love', extraContext: { board: 'b0' } }).get({ offset: 3 })),
      ).toEqual(ids([...lovesOnB0].reverse().slice(3)));
      expect((await feed.countBy('verb')).love).toBe(210);
    }
  });

  it('keeps counts and index rows unchanged when a fanout is retried', async () => {
    const storage = testStorage(client);
    const definition = define(storage);
    const activities = activitiesOf(9);
    const users = [1, 2, 3];
    expect(await definition.addToMany(users, activities)).toBe(27);
    const counts = await definition.for(2).countBy('verb');
    expect(counts).toEqual(countsOf(activities, byVerb));
    const before = await indexRows(storage, 'indexed', 'feed:indexed:2');
    expect(before.rows).toEqual(expectedRows(activities));
    expect(before.markers).toEqual(['field:board', 'verb']);
    // The same task again (a retried fanout), trimmed and untrimmed: nothing is new.
    expect(await definition.addToMany(users, activities)).toBe(0);
    expect(await definition.addToMany(users, activities.slice(3), { trim: false })).toBe(0);
    for (const user of users) {
      expect(await definition.for(user).countBy('verb')).toEqual(counts);
      expect(await definition.for(user).countBy('board')).toEqual(
        await definition.for(1).countBy('board'),
      );
    }
    expect(await indexRows(storage, 'indexed', 'feed:indexed:2')).toEqual(before);
  });

  it('deletes the index rows of trimmed entries, also of a feed longer than maxLength', async () => {
    const storage = testStorage(client);
    const definition = define(storage, { maxLength: 5 });
    const feed = definition.for(1);
    const activities = activitiesOf(14);
    // Written without trimming: 9 entries, past maxLength 5 (and past the head read of 7).
    await feed.addMany(activities.slice(0, 9), { trim: false });
    expect((await indexRows(storage, 'indexed', feed.key)).rows).toEqual(
      expectedRows(activities.slice(0, 9)),
    );
    // A trimmed write cuts the feed to 5: the index follows, rows beyond the head read too.
    await feed.add(activities[9]!);
    expect((await indexRows(storage, 'indexed', feed.key)).rows).toEqual(
      expectedRows(activities.slice(5, 10)),
    );
    // A fanout past maxLength.
    await definition.addToMany([1, 2], activities.slice(10, 12));
    expect((await indexRows(storage, 'indexed', feed.key)).rows).toEqual(
      expectedRows(activities.slice(7, 12)),
    );
    expect(ids(await feed.filter({ verb: 'love' }).get())).toEqual(
      ids(
        activities
          .slice(7, 12)
          .filter((a) => a.verb.id === verbs.Love.id)
          .reverse(),
      ),
    );
    // An explicit trim.
    await feed.trim(2);
    expect((await indexRows(storage, 'indexed', feed.key)).rows).toEqual(
      expectedRows(activities.slice(10, 12)),
    );
    // trim(0) and delete drop the whole index partition, markers included.
    await feed.trim(0);
    expect(await indexRows(storage, 'indexed', feed.key)).toEqual({ rows: [], markers: [] });
    await feed.add(activities[12]!);
    expect((await indexRows(storage, 'indexed', feed.key)).markers).toEqual([
      'field:board',
      'verb',
    ]);
    await feed.delete();
    expect(await indexRows(storage, 'indexed', feed.key)).toEqual({ rows: [], markers: [] });
  });

  it('moves index rows when an update in place changes the field', async () => {
    const storage = testStorage(client);
    const definition = define(storage);
    const activities = activitiesOf(6);
    await definition.addToMany([1, 2], activities);
    const at = activities.findIndex((a) => a.verb.id === verbs.Love.id);
    const target = activities[at]!;
    // The verb is part of the serialization id: an update in place keeps it.
    const changed = makeActivity(at + 1, { verb: verbs.Love, extraContext: { board: 'moved' } });
    const oldBoard = String(target.extraContext.board);
    expect(changed.serializationId).toBe(target.serializationId);
    expect(await definition.replaceInMany([1, 2, 3], [changed])).toBe(2);
    const now = activities.map((a) => (a === target ? changed : a));
    for (const user of [1, 2]) {
      const feed = definition.for(user);
      expect((await indexRows(storage, 'indexed', feed.key)).rows).toEqual(expectedRows(now));
      expect(ids(await feed.filter({ extraContext: { board: oldBoard } }).get())).not.toContain(
        target.serializationId,
      );
      expect(ids(await feed.filter({ verb: 'love' }).get())).toContain(target.serializationId);
      expect(ids(await feed.filter({ extraContext: { board: 'moved' } }).get())).toEqual([
        changed.serializationId,
      ]);
      expect((await feed.countBy('board')).moved).toBe(1);
    }
    // Feed 3 never held it: the update adds nothing, not even index rows.
    expect(await indexRows(storage, 'indexed', 'feed:indexed:3')).toEqual({
      rows: [],
      markers: [],
    });
    // The same update again (a retried re-fanout): nothing moves.
    await definition.replaceInMany([1, 2], [changed]);
    expect((await indexRows(storage, 'indexed', 'feed:indexed:1')).rows).toEqual(expectedRows(now));
  });

  it('deletes the index rows of removed entries', async () => {
    const storage = testStorage(client);
    const definition = define(storage);
    const activities = activitiesOf(6);
    await definition.addToMany([1, 2], activities);
    await definition.removeFromMany([1], activities.slice(0, 2));
    expect((await indexRows(storage, 'indexed', 'feed:indexed:1')).rows).toEqual(
      expectedRows(activities.slice(2)),
    );
    expect((await indexRows(storage, 'indexed', 'feed:indexed:2')).rows).toEqual(
      expectedRows(activities),
    );
    await definition.for(2).remove(activities[5]!);
    expect((await indexRows(storage, 'indexed', 'feed:indexed:2')).rows).toEqual(
      expectedRows(activities.slice(0, 5)),
    );
  });

  it('reads feeds written before the index by scanning, until rebuildIndexes marks them', async () => {
    const keyPrefix = uniquePrefix('pre');
    const before = define(testStorage(client, { keyPrefix }), { index: {} });
    const old = activitiesOf(8);
    await before.addToMany([1, 2], old);
    // The same feeds, now with indexes (a new deployment of the definition).
    const storage = testStorage(client, { keyPrefix });
    const definition = define(storage, { index: { verb: true } });
    const feed = definition.for(1);
    const newer = activitiesOf(2, 8);
    await feed.addMany(newer);
    const all = [...old, ...newer];
    const loves = ids(all.filter((a) => a.verb.id === verbs.Love.id).reverse());
    // Not marked (it held entries when the index began): every entry is found, by a scan.
    expect((await indexRows(storage, 'indexed', feed.key)).markers).toEqual([]);
    expect(ids(await feed.filter({ verb: 'love' }).get())).toEqual(loves);
    expect(ids(await feed.filter({ verb: 'love' }).get({ offset: 1, limit: 1 }))).toEqual([
      loves[1],
    ]);
    const counts = countsOf(all, byVerb);
    expect(await feed.countBy('verb')).toEqual(counts);
    // A stray index row (a trim racing a write): a scan ignores it, an index read counts it.
    const stray = `${storage.keyPrefix}${feed.key}`;
    await client.execute(
      `INSERT INTO "${keyspace}"."indexed_idx" (feed_id, dimension, value, activity_id) VALUES (?, 'verb', ?, 1)`,
      [stray, String(verbs.Love.id)],
      { prepare: true },
    );
    expect(await feed.countBy('verb')).toEqual(counts);
    const rebuilt = await timelineOf(definition).rebuildIndexes([feed.key]);
    expect(rebuilt).toEqual({ feeds: 1, added: old.length, removed: 1 });
    expect(await indexRows(storage, 'indexed', feed.key)).toEqual({
      rows: all.map((a) => `verb=${a.verb.id}@${a.serializationId}`).sort(),
      markers: ['verb'],
    });
    expect(ids(await feed.filter({ verb: 'love' }).get())).toEqual(loves);
    expect(await feed.countBy('verb')).toEqual(counts);
    // Marked now: countBy reads the index (the stray row shows it does not scan).
    await client.execute(
      `INSERT INTO "${keyspace}"."indexed_idx" (feed_id, dimension, value, activity_id) VALUES (?, 'verb', ?, 1)`,
      [stray, String(verbs.Love.id)],
      { prepare: true },
    );
    expect((await feed.countBy('verb')).love).toBe(counts.love! + 1);
    // ... while filtered reads skip an index row without its entry.
    expect(ids(await feed.filter({ verb: 'love' }).get())).toEqual(loves);
    expect((await timelineOf(definition).rebuildIndexes([feed.key])).removed).toBe(1);
    // A field declared later: its dimension is not marked, so it scans until a rebuild of
    // every feed under the prefix.
    const withField = define(testStorage(client, { keyPrefix }));
    const other = withField.for(2);
    expect(await other.countBy('board')).toEqual(countsOf(old, byBoard));
    expect((await indexRows(storage, 'indexed', other.key)).markers).toEqual([]);
    const all2 = await timelineOf(withField).rebuildIndexes();
    expect(all2.feeds).toBe(2);
    expect((await indexRows(storage, 'indexed', other.key)).markers).toEqual([
      'field:board',
      'verb',
    ]);
    expect(await other.countBy('board')).toEqual(countsOf(old, byBoard));
    expect(ids(await other.filter({ extraContext: { board: 'b2' } }).get())).toEqual(
      ids(old.filter((a) => a.extraContext.board === 'b2').reverse()),
    );
  });
});
