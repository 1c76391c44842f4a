import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Activity, AggregatedActivity, Love, SerializationError } from '@sf/activity';
import { AggregatedFeed, Feed } from '@sf/feeds';
import { ids, makeActivities, makeActivity, verbs } from '@sf/feeds/testing';
import { pickleDumps } from '@sf/serializers';
import {
  CassandraSchemaError,
  CassandraSerializationError,
  cassandraStorage,
} from '../../src/index.js';
import { INLINE_OFFSET } from '../../src/cassandra-timeline-storage.js';
import { createClient, keyspace, testStorage, uniquePrefix } from './helpers.js';

const client = createClient();
const cql = (table: string) => `"${keyspace}"."${table}"`;

beforeAll(async () => {
  await client.connect();
});

afterAll(async () => {
  await client.shutdown();
});

describe('schema', () => {
  it('creates the keyspace and tables with syncSchema, never dropping data, and adds missing columns', async () => {
    const space = `${keyspace}_sync`;
    const storage = cassandraStorage({
      client,
      keyspace: space,
      replication: { class: 'SimpleStrategy', replication_factor: 1 },
    });
    try {
      const flat = Feed.define({ name: 'Pins', keyFormat: 'feed:pins:{userId}', storage });
      AggregatedFeed.define({ name: 'aggregated', keyFormat: 'feed:aggregated:{userId}', storage });
      await expect(flat.for(1).count()).rejects.toThrow(CassandraSchemaError); // not synced yet
      expect((await storage.syncSchema()).sort()).toEqual(
        [
          `${space}.aggregated`,
          `${space}.pins`,
          `${space}.sf_activities`,
          `${space}.sf_foreign_ids`,
          `${space}.sf_locks`,
          `${space}.sf_markers`,
        ].sort(),
      );
      const [activity] = makeActivities(1) as [Activity];
      await flat.for(1).add(activity);
      // An older table without some columns: syncSchema adds them and keeps the rows.
      await client.execute(`ALTER TABLE "${space}"."pins" DROP extra_context`);
      const broken = cassandraStorage({ client, keyspace: space });
      const again = Feed.define({ name: 'pins', keyFormat: 'feed:pins:{userId}', storage: broken });
      await expect(again.for(1).get()).rejects.toThrow(/missing column\(s\) extra_context/);
      await broken.syncSchema();
      await broken.syncSchema(); // idempotent
      expect(ids(await again.for(1).get())).toEqual([activity.serializationId]);
      const columns = await client.execute(
        'SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
        [space, 'aggregated'],
      );
      expect(
        Object.fromEntries(columns.rows.map((row) => [row.column_name, `${row.kind}:${row.type}`])),
      ).toEqual({
        feed_id: 'partition_key:ascii',
        activity_id: 'clustering:varint',
        group: 'clustering:ascii',
        activities: 'regular:blob',
        created_at: 'regular:timestamp',
        updated_at: 'regular:timestamp',
      });
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS "${space}"`);
    }
  });

  it('refuses a table whose columns have other types', async () => {
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS "${keyspace}" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await client.execute(
      `CREATE TABLE IF NOT EXISTS ${cql('wrongtypes')} (feed_id ascii, activity_id text, actor int, PRIMARY KEY (feed_id, activity_id))`,
    );
    const storage = testStorage(client);
    const feed = Feed.define({ name: 'wrongtypes', keyFormat: 'feed:w:{userId}', storage });
    await expect(feed.for(1).get()).rejects.toThrow(/column activity_id is text, expected varint/);
  });

  it('refuses one table for two kinds of feed', () => {
    const storage = testStorage(client);
    Feed.define({ name: 'same', keyFormat: 'feed:a:{userId}', storage });
    expect(() =>
      AggregatedFeed.define({ name: 'same', keyFormat: 'feed:b:{userId}', storage }),
    ).toThrow(/both flat and aggregated/);
  });
});

/** A flat feed definition on a fresh test storage (its own key prefix). */
const flatDefinition = (name: string, keyName: string, maxLength: number) =>
  Feed.define({
    name,
    keyFormat: `feed:${keyName}:{userId}`,
    storage: testStorage(client),
    maxLength,
  });

describe('flat timelines', () => {
  it('pages with large offsets, filters and both orders, reading only keys up to the offset', async () => {
    const storage = testStorage(client, { fetchSize: 7 });
    const feed = Feed.define({
      name: 'paging',
      keyFormat: 'feed:paging:{userId}',
      storage,
      maxLength: 1000,
    }).for(1);
    const activities = makeActivities(120);
    await feed.addMany(activities);
    const newest = ids([...activities].reverse());
    const offset = INLINE_OFFSET + 10;
    expect(ids(await feed.get({ offset, limit: 5 }))).toEqual(newest.slice(offset, offset + 5));
    expect(ids(await feed.get({ offset }))).toEqual(newest.slice(offset)); // paged by 7 rows
    expect(ids(await feed.get())).toEqual(newest);
    expect(ids(await feed.orderBy('activity_id').get({ offset: 100, limit: 50 }))).toEqual(
      [...newest].reverse().slice(100),
    );
    const older = feed.filter({ activityIdLt: newest[10]! });
    expect(ids(await older.get({ offset: 50, limit: 3 }))).toEqual(newest.slice(61, 64));
    expect(ids(await older.orderBy('activity_id').get({ offset: 40, limit: 2 }))).toEqual(
      [...newest.slice(11)].reverse().slice(40, 42),
    );
    expect(await feed.get({ offset: 120 })).toEqual([]);
    expect(await feed.get({ offset: 500, limit: 1 })).toEqual([]);
    expect(await feed.indexOf(activities[0]!)).toBe(119);
  });

  it('works with feeds named like CQL keywords', async () => {
    const storage = testStorage(client);
    for (const name of ['select', 'batch']) {
      const feed = Feed.define({
        name,
        keyFormat: `feed:${name}:{userId}`,
        storage,
        maxLength: 3,
      }).for(1);
      const activities = makeActivities(5);
      expect(await feed.addMany(activities)).toBe(5);
      expect(ids(await feed.get({ offset: 1 }))).toEqual(ids(activities.slice(2, 4).reverse()));
      expect(await feed.indexOf(activities[2]!)).toBe(2);
      expect(await feed.remove(activities[4]!)).toBe(1);
      expect(await feed.count()).toBe(2);
    }
    const aggregated = AggregatedFeed.define({
      name: 'order',
      keyFormat: 'feed:order:{userId}',
      storage,
    }).for(1);
    await aggregated.addMany(makeActivities(2));
    expect((await aggregated.get())[0]!.activityCount).toBe(2);
  });

  it('trims with one range delete, also when written without trimming before', async () => {
    const definition = flatDefinition('trimmed', 'trimmed', 5);
    const feed = definition.for(1);
    const activities = makeActivities(12);
    expect(await feed.addMany(activities.slice(0, 9), { trim: false })).toBe(9);
    // 9 rows, maxLength 5: an add reads the newest 6 ids, writes and trims in one batch
    expect(await feed.add(activities[9]!)).toBe(1);
    expect(ids(await feed.get())).toEqual(ids(activities.slice(5, 10).reverse()));
    // older than everything kept: counted as new, trimmed at once
    expect(await feed.add(makeActivity(0, { offset: -1000 }))).toBe(1);
    expect(await feed.addMany([activities[2]!, activities[10]!])).toBe(2);
    expect(ids(await feed.get())).toEqual(ids(activities.slice(6, 11).reverse()));
    await feed.trim(2);
    expect(await feed.count()).toBe(2);
    await feed.trim(0);
    expect(await feed.count()).toBe(0);
  });

  it('counts an item present below the newest maxLength + 1 as present, though the same write trims it', async () => {
    const definition = flatDefinition('trimmed', 'below', 5);
    const feed = definition.for(1);
    const activities = makeActivities(11);
    expect(await feed.addMany(activities.slice(0, 9), { trim: false })).toBe(9);
    // activities[1] is stored, but below the 6 newest ids the add reads: only activities[10] is new
    expect(await feed.addMany([activities[1]!, activities[10]!])).toBe(1);
    expect(ids(await feed.get())).toEqual(
      ids([activities[10]!, ...activities.slice(5, 9).reverse()]),
    );
  });

  it('writes no tombstone for an activity without a target (target left unset, not null)', async () => {
    const definition = flatDefinition('untargeted', 'untargeted', 10);
    const [first, second] = makeActivities(2) as [Activity, Activity];
    expect(first.targetId).toBeNull();
    await definition.for(1).add(first); // one feed
    await definition.addToMany([2, 3], [second]); // the fanout's batch interface
    await definition.for(1).addMany([second], { trim: false }); // the path without trimming
    // The node's trace of a read of the rows says how many tombstone cells it met.
    const read = await client.execute(`SELECT * FROM ${cql('untargeted')}`, [], {
      traceQuery: true,
    });
    expect(read.rows).toHaveLength(4);
    const summaries: string[] = [];
    for (let attempt = 0; attempt < 50 && summaries.length === 0; attempt++) {
      const trace = await client.metadata.getTrace(read.info.traceId);
      summaries.push(
        ...trace.events
          .map((event) => String(event.activity))
          .filter((activity) => /live rows and \d+ tombstone cells/.test(activity)),
      );
      if (summaries.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(summaries.length).toBeGreaterThan(0);
    const tombstones = summaries.map((activity) =>
      Number(/(\d+) tombstone cells/.exec(activity)![1]),
    );
    expect(tombstones).toEqual(tombstones.map(() => 0));
    expect(summaries.join('; ')).toMatch(/Read 4 live rows and 0 tombstone cells/);
  });

  it('stores ids over 2^31 in bigint tables, and says so for int tables', async () => {
    const big = new Activity({
      actor: 3_000_000_000,
      verb: Love,
      object: 9_999_999_999,
      target: 2_200_000_000,
      time: Date.UTC(2020, 0, 1),
    });
    const wide = testStorage(client, { idType: 'bigint', tableName: ({ name }) => `${name}_wide` });
    const feed = Feed.define({ name: 'big', keyFormat: 'feed:big:{userId}', storage: wide }).for(1);
    await feed.add(big);
    const [read] = await feed.get();
    expect([read!.actorId, read!.objectId, read!.targetId, read!.serializationId]).toEqual([
      3_000_000_000,
      9_999_999_999,
      2_200_000_000,
      big.serializationId,
    ]);
    const narrow = Feed.define({
      name: 'big',
      keyFormat: 'feed:big:{userId}',
      storage: testStorage(client),
    }).for(1);
    await expect(narrow.add(big)).rejects.toThrow(
      /does not fit the int column actor .* idType: 'bigint'/,
    );
  });

  it('surfaces undecodable rows as SerializationError naming the feed', async () => {
    const prefix = uniquePrefix();
    const storage = testStorage(client, { keyPrefix: prefix });
    const feed = Feed.define({ name: 'corrupt', keyFormat: 'feed:corrupt:{userId}', storage }).for(
      7,
    );
    const [activity] = makeActivities(1) as [Activity];
    await feed.add(activity);
    await client.execute(
      `UPDATE ${cql('corrupt')} SET extra_context = ? WHERE feed_id = ? AND activity_id = ?`,
      [Buffer.from('{not json'), `${prefix}feed:corrupt:7`, activity.serializationId],
      { prepare: true },
    );
    const error = await feed.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toBeInstanceOf(CassandraSerializationError);
    expect((error as CassandraSerializationError).message).toContain('feed "feed:corrupt:7"');
    expect((error as CassandraSerializationError).key).toBe('feed:corrupt:7');
    expect((error as CassandraSerializationError).activityId).toBe(activity.serializationId);

    const aggregated = AggregatedFeed.define({
      name: 'corrupt_agg',
      keyFormat: 'feed:ca:{userId}',
      storage,
    }).for(7);
    const [group] = await aggregated.add(activity);
    await client.execute(
      `UPDATE ${cql('corrupt_agg')} SET activities = ? WHERE feed_id = ? AND activity_id = ? AND "group" = ?`,
      [Buffer.from([0x80, 0x04, 0x95]), `${prefix}feed:ca:7`, group!.serializationId, group!.group],
      { prepare: true },
    );
    await expect(aggregated.get()).rejects.toThrow(/feed "feed:ca:7".*not valid UTF-8/);
  });

  it('reads and writes rows as Stream Framework does in the stream-framework format', async () => {
    const prefix = uniquePrefix();
    const storage = testStorage(client, { keyPrefix: prefix, format: 'stream-framework' });
    const definition = Feed.define({ name: 'sf_example', keyFormat: 'feed_%(user_id)s', storage });
    await definition.for(1).get(); // creates the table
    // A row as Stream Framework's CassandraActivitySerializer writes it (pickle protocol 4, and one from Python 2).
    const pickle4 = Buffer.from(
      '\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x07item_id\x94K\x05s.',
      'latin1',
    );
    const pickle0 = Buffer.from('(dp0\nVitem_id\np1\nI6\ns.', 'latin1');
    const insert = `INSERT INTO ${cql('sf_example')} (feed_id, activity_id, actor, verb, object, target, time, extra_context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
    await client.execute(
      insert,
      [
        `${prefix}feed_1`,
        '13732667561240000001042004',
        14,
        4,
        1042,
        null,
        new Date(1373266756124),
        pickle4,
      ],
      { prepare: true },
    );
    await client.execute(
      insert,
      [
        `${prefix}feed_1`,
        '13732667571250000001043004',
        15,
        4,
        1043,
        9,
        new Date(1373266757125),
        pickle0,
      ],
      { prepare: true },
    );
    const [second, first] = await definition.for(1).get();
    expect([first!.serializationId, first!.actorId, first!.targetId, first!.extraContext]).toEqual([
      '13732667561240000001042004',
      14,
      null,
      { item_id: 5 },
    ]);
    expect([second!.serializationId, second!.targetId, second!.extraContext]).toEqual([
      '13732667571250000001043004',
      9,
      { item_id: 6 },
    ]);
    // what we write: the pickle of the extra context
    const mine = makeActivity(3, { extraContext: { item_id: 7 }, idScheme: 'stream-framework' });
    await definition.for(2).add(mine);
    const row = await client.execute(
      `SELECT extra_context, time, target FROM ${cql('sf_example')} WHERE feed_id = ?`,
      [`${prefix}feed_2`],
      { prepare: true },
    );
    expect(row.rows[0]!.extra_context).toEqual(Buffer.from(pickleDumps({ item_id: 7 })));
    expect(row.rows[0]!.time).toEqual(mine.time);
    expect(row.rows[0]!.target).toBeNull();
  });
});

describe('aggregated timelines', () => {
  const sameSecond = (group: string, object: number) =>
    new AggregatedActivity({
      group,
      activities: [makeActivity(object, { offset: 5000 + object, verb: verbs.Love })],
    });

  it.each([
    { order: 'DESC', table: 'collide', note: 'new tables' },
    { order: 'ASC', table: 'collide_asc', note: 'tables of earlier versions' },
  ] as const)(
    'keeps aggregated activities updated in the same second apart, ties by group $order ($note)',
    async ({ order, table }) => {
      if (order === 'ASC') {
        await client.execute(
          `CREATE KEYSPACE IF NOT EXISTS "${keyspace}" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
        );
        await client.execute(
          `CREATE TABLE IF NOT EXISTS ${cql(table)} (feed_id ascii, activity_id varint, "group" ascii, activities blob, created_at timestamp, updated_at timestamp, PRIMARY KEY (feed_id, activity_id, "group")) WITH CLUSTERING ORDER BY (activity_id DESC, "group" ASC)`,
        );
      }
      const storage = testStorage(client);
      const definition = AggregatedFeed.define({
        name: table,
        keyFormat: 'feed:collide:{userId}',
        storage,
      });
      const timeline = definition.timeline;
      const a = sameSecond('a', 1);
      const b = sameSecond('b', 2);
      const c = sameSecond('c', 3);
      const older = new AggregatedActivity({
        group: 'z',
        activities: [makeActivity(9, { offset: 0, verb: verbs.Love })],
      });
      expect(a.serializationId).toBe(b.serializationId);
      expect(await timeline.add('k', [a, b, c, older])).toBe(4);
      expect(await timeline.add('k', [b])).toBe(0);
      expect(await timeline.count('k')).toBe(4);
      const newestFirst = order === 'DESC' ? ['c', 'b', 'a'] : ['a', 'b', 'c'];
      expect((await timeline.get('k', { offset: 0, limit: null })).map((x) => x.group)).toEqual([
        ...newestFirst,
        'z',
      ]);
      expect((await timeline.get('k', { offset: 1, limit: 1 })).map((x) => x.group)).toEqual(['b']);
      expect(
        (await timeline.get('k', { offset: 0, limit: null, order: 'asc' })).map((x) => x.group),
      ).toEqual(['z', ...[...newestFirst].reverse()]);
      expect(await timeline.indexOf('k', a.serializationId)).toBe(0);
      // remove exactly the one read, not its same-second neighbours
      await timeline.modify('k', {}, async (read) => {
        const [, middle] = await read({ offset: 0, limit: 2 });
        return { remove: [middle!], add: [] };
      });
      expect((await timeline.get('k', { offset: 0, limit: null })).map((x) => x.group)).toEqual([
        newestFirst[0],
        newestFirst[2],
        'z',
      ]);
      // trimming cuts between rows sharing an id, keeping the first in the table's order
      await timeline.trim('k', 1);
      expect((await timeline.get('k', { offset: 0, limit: null })).map((x) => x.group)).toEqual([
        newestFirst[0],
      ]);
    },
  );

  it('pages past many rows sharing an id', async () => {
    const storage = testStorage(client);
    const timeline = AggregatedFeed.define({
      name: 'collide',
      keyFormat: 'feed:collide:{userId}',
      storage,
    }).timeline;
    const groups = Array.from(
      { length: INLINE_OFFSET + 8 },
      (_, i) => `g${String(i).padStart(3, '0')}`,
    );
    await timeline.add(
      'k',
      groups.map((group, i) => sameSecond(group, i + 1)),
    );
    const newestFirst = [...groups].reverse(); // ties by group, descending
    const page = await timeline.get('k', { offset: INLINE_OFFSET + 2, limit: 3 });
    expect(page.map((x) => x.group)).toEqual(
      newestFirst.slice(INLINE_OFFSET + 2, INLINE_OFFSET + 5),
    );
    const reversed = await timeline.get('k', { offset: INLINE_OFFSET + 2, limit: 3, order: 'asc' });
    expect(reversed.map((x) => x.group)).toEqual(
      groups.slice(INLINE_OFFSET + 2, INLINE_OFFSET + 5),
    );
  });

  it("works on Stream Framework's own aggregated table (primary key feed_id, activity_id)", async () => {
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS "${keyspace}" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    // as cqlengine's sync_table creates models.AggregatedActivity
    await client.execute(
      `CREATE TABLE IF NOT EXISTS ${cql('sf_aggregated')} (feed_id ascii, activity_id varint, activities blob, created_at timestamp, "group" ascii, updated_at timestamp, PRIMARY KEY (feed_id, activity_id)) WITH CLUSTERING ORDER BY (activity_id DESC)`,
    );
    const storage = testStorage(client);
    const definition = AggregatedFeed.define({
      name: 'sf_aggregated',
      keyFormat: 'feed:sfa:{userId}',
      storage,
    });
    await storage.syncSchema();
    const feed = definition.for(1);
    const loves = makeActivities(3);
    const follow = makeActivity(4, { verb: verbs.Follow, offset: 86_400_000 });
    await feed.addMany([...loves, follow]);
    expect((await feed.get()).map((a) => [a.group, a.activityCount])).toEqual([
      ['1-2013-07-09', 1],
      ['3-2013-07-08', 3],
    ]);
    await feed.remove(loves[0]!);
    expect((await feed.get())[1]!.activityCount).toBe(2);
    await feed.remove(follow);
    expect(await feed.count()).toBe(1);
  });
});

describe('locks across processes', () => {
  it('never loses an update when separate clients (processes) modify one feed', async () => {
    const prefix = uniquePrefix();
    const others = [createClient(), createClient()];
    try {
      const storages = others.map((c) => testStorage(c, { keyPrefix: prefix }));
      const definitions = storages.map((storage) =>
        AggregatedFeed.define({ name: 'shared', keyFormat: 'feed:shared:{userId}', storage }),
      );
      // Processes must not create one table at the same time (Cassandra would end up with two
      // table ids): the schema is synced once, before the writers start.
      await storages[0]!.syncSchema();
      const activities = makeActivities(24);
      await Promise.all(activities.map((activity, i) => definitions[i % 2]!.for(1).add(activity)));
      const [group] = await definitions[0]!.for(1).get();
      expect(await definitions[1]!.for(1).count()).toBe(1);
      expect(group!.activityCount).toBe(24);
    } finally {
      await Promise.all(others.map((c) => c.shutdown()));
    }
  });

  it('fails with CassandraLockError when the lock stays taken', async () => {
    const storage = testStorage(client, { lock: { acquireTimeout: 300, ttlSeconds: 5 } });
    const definition = AggregatedFeed.define({
      name: 'locked',
      keyFormat: 'feed:locked:{userId}',
      storage,
    });
    await definition.for(1).count();
    await storage.syncSchema();
    const key = `${storage.keyPrefix}feed:locked:1`;
    await client.execute(
      `INSERT INTO ${cql('sf_locks')} (lock_key, owner) VALUES (?, ?) USING TTL 5`,
      [`${keyspace}.locked|${key}`, 'someone-else'],
      { prepare: true },
    );
    const started = Date.now();
    await expect(definition.for(1).add(makeActivity(1))).rejects.toThrow(/could not lock feed/);
    expect(Date.now() - started).toBeLessThan(300 + 10_000); // gives up, no hang (loose bound for busy machines)
    await client.execute(
      `DELETE FROM ${cql('sf_locks')} WHERE lock_key = ?`,
      [`${keyspace}.locked|${key}`],
      { prepare: true },
    );
    expect(await definition.for(1).add(makeActivity(1))).toHaveLength(1);
  });

  it('keeps marker counts right when separate clients update them', async () => {
    const prefix = uniquePrefix();
    const others = [createClient(), createClient()];
    try {
      const markers = others.map((c) =>
        testStorage(c, { keyPrefix: prefix }).markerStorage({ name: 'n' }),
      );
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          markers[i % 2]!.update(
            'notification_feed:1',
            { add: { unseen: [String(i)], unread: [String(i)] } },
            100,
          ),
        ),
      );
      expect(await markers[0]!.counts('notification_feed:1')).toEqual({ unseen: 20, unread: 20 });
      expect((await markers[1]!.get('notification_feed:1')).unseen.sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => String(i)).sort(),
      );
    } finally {
      await Promise.all(others.map((c) => c.shutdown()));
    }
  });
});
