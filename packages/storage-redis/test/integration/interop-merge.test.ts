import { Activity, Love, OpaqueActivity } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import { PythonDateTime } from '@sf/serializers';
import { beforeEach, describe, expect, it } from 'vitest';
import { redisStorage, type RedisClient, type RedisStorage } from '../../src/index.js';
import { targets, useRedis } from './helpers.js';

/**
 * Merging into aggregated and notification groups that the Python Stream Framework wrote
 * (issue 12 items 13 and 14). The Redis data is laid out exactly as Python 1.4 writes it
 * (SF-SPEC §11 and §15): activities `actor,verb,object,target_or_0,'%.6f' epoch,pickle` in the
 * `global:<md5(id) % 10>` hashes, groups `v3group;;created;;updated;;seen;;read;;ids;;minimized`
 * with `'%.6f'` dates, scored by `int(updated_at seconds) * 1000`; the pickle bytes as latin1 text
 * (Redis holds its UTF-8, as redis-py writes a str).
 */

const text = (bytes: number[]) => String.fromCharCode(...bytes);
const ascii = (value: string) => [...value].map((c) => c.charCodeAt(0));
const short = (value: string) => [0x8c, value.length, ...ascii(value), 0x94]; // SHORT_BINUNICODE + MEMOIZE
/** PROTO 4 + FRAME around the body, as CPython frames a small pickle. */
const protocol4 = (body: number[]) => [0x80, 0x04, 0x95, body.length, 0, 0, 0, 0, 0, 0, 0, ...body];

/**
 * `pickle.dumps({'price': decimal.Decimal('1.5')}, 4)`: a class this library never loads
 * (only plain data, datetime, date, timedelta and sets are read), so the activity holding it
 * stays undecodable.
 */
const DECIMAL_PICKLE = text(
  protocol4([
    0x7d,
    0x94,
    ...short('price'),
    ...short('decimal'),
    ...short('Decimal'),
    0x93,
    0x94,
    ...short('1.5'),
    0x85,
    0x94,
    0x52,
    0x94,
    0x73,
    0x2e,
  ]),
);
/**
 * `pickle.dumps({'when': datetime(2014, 3, 4, 5, 6, 7, 123456), 'counts': {1: 'a'}, 'tags': {1, 2}}, 4)`
 * (CPython 3.11's bytes; see @sf/serializers' pickle-python.test.ts for how they are derived).
 */
const PYTHON_TYPES_PICKLE = text(
  protocol4([
    0x7d,
    0x94,
    0x28,
    ...short('when'),
    ...short('datetime'),
    ...short('datetime'),
    0x93,
    0x94,
    0x43,
    10,
    0x07,
    0xde,
    3,
    4,
    5,
    6,
    7,
    0x01,
    0xe2,
    0x40,
    0x94,
    0x85,
    0x94,
    0x52,
    0x94,
    ...short('counts'),
    0x7d,
    0x94,
    0x4b,
    0x01,
    ...short('a'),
    0x73,
    ...short('tags'),
    0x8f,
    0x94,
    0x28,
    0x4b,
    0x01,
    0x4b,
    0x02,
    0x90,
    0x75,
    0x2e,
  ]),
);
const SNOWFLAKE = 1234567890123456789n;
/** `pickle.dumps({'item_id': 700}, 4)`. */
const PLAIN_PICKLE = text(
  protocol4([0x7d, 0x94, ...short('item_id'), 0x4d, 0xbc, 0x02, 0x73, 0x2e]),
);

/** Python's `'%.6f' % epoch`. */
const epoch = (micros: number) =>
  `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
const activityText = (actor: number | bigint, object: number, micros: number, pickle: string) =>
  `${actor},${Love.id},${object},0,${epoch(micros)},${pickle}`;
const idOf = (object: number, micros: number) =>
  new Activity({
    actor: 1,
    verb: Love,
    object,
    epochMicroseconds: micros,
    idScheme: 'stream-framework',
  }).serializationId;

// 2014-03-04 05:06:07.123456 UTC and later that day
const A_TIME = 1393909567123456;
const B_TIME = 1393909627654321;
const Y_TIME = 1393909687987654;

for (const target of targets()) {
  describe(`merging into groups written by Python Stream Framework 1.4 (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;
    let storage: RedisStorage;
    let lost: string[];

    const connection = useRedis(target);
    beforeEach(() => {
      ({ redis, prefix } = connection);
      lost = [];
      storage = redisStorage({
        redis,
        keyPrefix: prefix,
        format: 'stream-framework',
        onCorruptEntry: () => {},
      });
    });

    const members = async (key: string) => redis.zrange(prefix + key, 0, -1);
    const plantActivity = async (id: string, value: string) =>
      redis.hset(storage.keys.activityShardKey(id), id, value);
    const y = new Activity({
      actor: 9,
      verb: Love,
      object: 702,
      epochMicroseconds: Y_TIME,
      idScheme: 'stream-framework',
      extraContext: { item_id: 702 },
    });

    describe('an aggregated feed', () => {
      const define = () =>
        AggregatedFeed.define({
          name: 'aggregated',
          keyFormat: 'feed:aggregated:%(user_id)s',
          storage,
          onMissingActivities: (_key, ids) => lost.push(...ids),
        });
      const aId = idOf(700, A_TIME);
      const bId = idOf(701, B_TIME);
      // seen_at and read_at as Python's update_seen_at() / update_read_at() set them (utcnow, with microseconds)
      const SEEN = epoch(B_TIME + 1111);
      const READ = epoch(B_TIME + 2222);
      const group = (created: number, updated: number, ids: string[]) =>
        `v33-2014-03-04;;${epoch(created)};;${epoch(updated)};;${SEEN};;${READ};;${ids.join(';')};;0`;

      beforeEach(async () => {
        // Python: add a (an extra_context this library cannot read) and b to one group
        await plantActivity(aId, activityText(7, 700, A_TIME, DECIMAL_PICKLE));
        await plantActivity(bId, activityText(8, 701, B_TIME, PLAIN_PICKLE));
        await redis.zadd(
          `${prefix}feed:aggregated:21`,
          String(Math.floor(B_TIME / 1e6) * 1000),
          group(A_TIME, B_TIME, [aId, bId]),
        );
      });

      it('keeps an activity it cannot read when it merges into its group (item 13), with every date to the microsecond (item 14)', async () => {
        const feed = define();
        await feed.insertActivity(y);
        await feed.for(21).add(y);
        // what Python reads next: a, b and y, the dates it wrote unchanged, y's to the microsecond
        expect(await members('feed:aggregated:21')).toEqual([
          group(A_TIME, Y_TIME, [aId, bId, y.serializationId]),
        ]);
        // a page leaves out what it cannot read, and says so
        const [page] = await feed.for(21).get();
        expect(page!.activityIds).toEqual([bId, y.serializationId]);
        expect(lost).toEqual([aId]);
      });

      it('keeps it when removing another activity of its group (item 13)', async () => {
        const feed = define();
        await feed.for(21).remove(bId);
        // updated_at is the time of the last activity left (Python's remove): a's, known from its
        // id only (to the millisecond) since its stored value cannot be read
        expect(await members('feed:aggregated:21')).toEqual([
          group(A_TIME, Math.floor(A_TIME / 1000) * 1000, [aId]),
        ]);
      });
    });

    describe('a notification feed', () => {
      const define = () =>
        NotificationFeed.define({
          name: 'notification',
          keyFormat: 'notification_feed:%(user_id)s',
          storage,
          onMissingActivities: (_key, ids) => lost.push(...ids),
        });
      const a = activityText(7, 700, A_TIME, DECIMAL_PICKLE);
      const b = activityText(8, 700, B_TIME, PLAIN_PICKLE);
      const yText = activityText(9, 700, Y_TIME, PLAIN_PICKLE);
      const y700 = new Activity({
        actor: 9,
        verb: Love,
        object: 700,
        epochMicroseconds: Y_TIME,
        idScheme: 'stream-framework',
        extraContext: { item_id: 700 },
      });
      const group = (created: number, updated: number, texts: string[]) =>
        `v33-700-2014-03-04;;${epoch(created)};;${epoch(updated)};;-1;;-1;;${texts.join(';')};;0`;

      beforeEach(async () => {
        await redis.zadd(
          `${prefix}notification_feed:21`,
          String(Math.floor(B_TIME / 1e6) * 1000),
          group(A_TIME, B_TIME, [a, b]),
        );
      });

      it('merges into the group instead of starting a second one, keeping the unreadable activity verbatim (items 13, 14)', async () => {
        const feed = define();
        expect(feed.aggregator.getGroup(y700)).toBe('3-700-2014-03-04');
        await feed.for(21).add(y700);
        expect(await members('notification_feed:21')).toEqual([
          group(A_TIME, Y_TIME, [a, b, yText]),
        ]);
        const [page] = await feed.for(21).get();
        expect(page!.activities.map((activity) => activity.actorId)).toEqual([8, 9]);
        expect(lost).toEqual([idOf(700, A_TIME)]);
      });

      it('keeps it when removing another activity of the group (item 13)', async () => {
        const feed = define();
        await feed.for(21).remove(idOf(700, B_TIME));
        expect(await members('notification_feed:21')).toEqual([group(A_TIME, A_TIME, [a])]);
        // and a group of only unreadable activities is kept, out of pages
        expect(await feed.for(21).get()).toEqual([]);
        expect(await feed.for(21).count()).toBe(1);
      });

      it('loads the unreadable activity as an OpaqueActivity holding its text', async () => {
        const [item] = await define().timeline.get('notification_feed:21', { offset: 0, limit: 1 });
        const opaque = item!.activities[0]!;
        expect(opaque).toBeInstanceOf(OpaqueActivity);
        expect((opaque as OpaqueActivity).raw).toBe(a);
        expect([opaque.actorId, opaque.objectId, opaque.serializationId]).toEqual([
          7,
          700,
          idOf(700, A_TIME),
        ]);
      });
    });

    describe("Python's datetime, int-keyed dicts, sets and 64-bit actor ids (item 15)", () => {
      const aId = idOf(700, A_TIME);
      const a = activityText(SNOWFLAKE, 700, A_TIME, PYTHON_TYPES_PICKLE);
      const b = activityText(8, 700, B_TIME, PLAIN_PICKLE);
      const checkA = (activity: Activity | undefined) => {
        expect(activity?.serializationId).toBe(aId);
        expect(activity!.actorId).toBe(SNOWFLAKE);
        expect(activity!.extraContext).toEqual({
          when: new PythonDateTime(2014, 3, 4, 5, 6, 7, 123456),
          counts: new Map([[1, 'a']]),
          tags: new Set([1, 2]),
        });
      };

      it('reads them in flat and aggregated feeds, merges, and writes them back byte for byte', async () => {
        await plantActivity(aId, a);
        await plantActivity(idOf(700, B_TIME), b);
        await redis.zadd(`${prefix}feed:user:5`, aId, aId);
        const aggregatedGroup = (updated: number, ids: string[]) =>
          `v33-2014-03-04;;${epoch(A_TIME)};;${epoch(updated)};;-1;;-1;;${ids.join(';')};;0`;
        await redis.zadd(
          `${prefix}feed:aggregated:21`,
          String(Math.floor(B_TIME / 1e6) * 1000),
          aggregatedGroup(B_TIME, [aId, idOf(700, B_TIME)]),
        );
        const user = Feed.define({
          name: 'user',
          keyFormat: 'feed:user:%(user_id)s',
          storage,
          onMissingActivities: (_key, ids) => lost.push(...ids),
        });
        const aggregated = AggregatedFeed.define({
          name: 'aggregated',
          keyFormat: 'feed:aggregated:%(user_id)s',
          storage,
          onMissingActivities: (_key, ids) => lost.push(...ids),
        });

        const [flat] = await user.for(5).get();
        checkA(flat);
        const [group] = await aggregated.for(21).get();
        checkA(group!.activities[0]);
        expect(group!.activityIds).toEqual([aId, idOf(700, B_TIME)]);
        expect(lost).toEqual([]);

        // storing the activity read gives Python's exact bytes back
        await redis.hdel(storage.keys.activityShardKey(aId), aId);
        await user.insertActivity(flat!);
        expect(await redis.hget(storage.keys.activityShardKey(aId), aId)).toBe(a);
        // and a merge keeps it
        await aggregated.insertActivity(y);
        await aggregated.for(21).add(y);
        expect(await members('feed:aggregated:21')).toEqual([
          aggregatedGroup(Y_TIME, [aId, idOf(700, B_TIME), y.serializationId]),
        ]);
      });

      it('reads them inline in a notification feed and writes them back byte for byte on a merge', async () => {
        expect(a.includes(';')).toBe(false);
        const group = (updated: number, texts: string[]) =>
          `v33-700-2014-03-04;;${epoch(A_TIME)};;${epoch(updated)};;-1;;-1;;${texts.join(';')};;0`;
        await redis.zadd(
          `${prefix}notification_feed:21`,
          String(Math.floor(B_TIME / 1e6) * 1000),
          group(B_TIME, [a, b]),
        );
        const feed = NotificationFeed.define({
          name: 'notification',
          keyFormat: 'notification_feed:%(user_id)s',
          storage,
        });
        const [page] = await feed.for(21).get();
        checkA(page!.activities[0]);
        const y700 = new Activity({
          actor: 9,
          verb: Love,
          object: 700,
          epochMicroseconds: Y_TIME,
          idScheme: 'stream-framework',
          extraContext: { item_id: 700 },
        });
        await feed.for(21).add(y700);
        expect(await members('notification_feed:21')).toEqual([
          group(Y_TIME, [a, b, activityText(9, 700, Y_TIME, PLAIN_PICKLE)]),
        ]);
      });
    });

    it('the JSON format keeps the microseconds of aggregated dates too (item 14)', async () => {
      const json = redisStorage({ redis, keyPrefix: prefix, format: 'json' });
      const feed = AggregatedFeed.define({
        name: 'aggregated',
        keyFormat: 'feed:aggregated:%(user_id)s',
        storage: json,
      });
      const first = new Activity({
        actor: 1,
        verb: Love,
        object: 1,
        epochMicroseconds: A_TIME,
        idScheme: 'stream-framework',
      });
      const second = new Activity({
        actor: 2,
        verb: Love,
        object: 2,
        epochMicroseconds: B_TIME,
        idScheme: 'stream-framework',
      });
      await feed.insertActivities([first, second]);
      await feed.for(1).add(first);
      await feed.for(1).add(second);
      const [member] = await members('feed:aggregated:1');
      expect(member).toContain('"createdAt":"1393909567123.456","updatedAt":"1393909627654.321"');
      const [group] = await feed.for(1).get();
      expect(group!.createdAt!.getTime()).toBe(1393909567123);
    });
  });
}
