import { Activity, getVerbById } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import { beforeEach, describe, expect, it } from 'vitest';
import { redisStorage, type RedisClient, type RedisStorage } from '../../src/index.js';
import { keysOf, targets, useRedis } from './helpers.js';
import { keyFormat, latin1, plantScenario, scenario } from './scenario.js';

const activities = scenario.activities.map(
  (a) =>
    new Activity({
      actor: a.actor_id,
      verb: getVerbById(a.verb_id),
      object: a.object_id,
      target: a.target_id,
      epochMicroseconds:
        Math.round(Date.parse(a.time) * 1000) + Number(/\.\d{3}(\d{3})Z$/.exec(a.time)?.[1] ?? 0),
      extraContext: a.extra_context,
      idScheme: 'stream-framework', // Python's ids: the Stream Framework format stores no other
    }),
);

for (const target of targets()) {
  /** On a cluster, the two marker lists of a feed carry a hash tag (documented key layout). */
  const clusterKey = (key: string) =>
    target.name === 'cluster' ? key.replace(/^list:(.*):(unseen|unread)$/, 'list:{$1}:$2') : key;

  describe(`interop with Python Stream Framework 1.4 (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;
    let storage: RedisStorage;
    const feeds = () => ({
      normal: Feed.define({ name: 'normal', keyFormat: keyFormat('normal'), storage }),
      aggregated: AggregatedFeed.define({
        name: 'aggregated',
        keyFormat: keyFormat('aggregated'),
        storage,
      }),
      user: Feed.defineUserFeed({ name: 'user', keyFormat: keyFormat('user'), storage }),
      notification: NotificationFeed.define({
        name: 'notification',
        keyFormat: keyFormat('notification'),
        storage,
      }),
    });

    const connection = useRedis(target);
    beforeEach(() => {
      ({ redis, prefix } = connection);
      storage = redisStorage({ redis, keyPrefix: prefix, format: 'stream-framework' });
    });

    it('computes the same serialization ids', () => {
      expect(activities.map((a) => a.serializationId)).toEqual(
        scenario.activities.map((a) => a.serialization_id),
      );
    });

    it("reads every feed of Python's keyspace", async () => {
      await plantScenario(redis, prefix, clusterKey);
      const { normal, aggregated, user, notification } = feeds();

      const feed21 = await normal.for(21).get();
      expect(feed21.map((a) => a.serializationId)).toEqual(
        scenario.expected_normal_feed_21_newest_first,
      );
      for (const read of feed21) {
        const source = scenario.activities.find(
          (a) => a.serialization_id === read.serializationId,
        )!;
        expect([read.actorId, read.verb.id, read.objectId, read.targetId]).toEqual([
          source.actor_id,
          source.verb_id,
          source.object_id,
          source.target_id,
        ]);
        expect(read.time.toISOString()).toBe(source.time.replace('000Z', 'Z'));
        expect(read.extraContext).toEqual(source.extra_context);
      }
      expect((await user.for(13).get()).map((a) => a.objectId)).toEqual([503, 502, 500]);
      // exact filters on Python's scores
      expect(
        (
          await normal
            .for(21)
            .filter({ activityIdLt: feed21[1]!.serializationId })
            .get({ limit: 2 })
        ).map((a) => a.objectId),
      ).toEqual([503, 502]);

      // aggregated feeds: the same groups, activities and dates as Python's members say
      for (const userId of [21, 22, 23]) {
        const groups = await aggregated.for(userId).get();
        const members = (
          scenario.keys[`feed:aggregated:${userId}`]!.value as Array<[string, number]>
        )
          .slice()
          .reverse();
        expect(groups.map((g) => g.group)).toEqual(
          members.map(([member]) => member.slice(2).split(';;')[0]),
        );
        groups.forEach((group, i) => {
          const parts = members[i]![0].slice(2).split(';;');
          expect(group.activityIds).toEqual(parts[5]!.split(';'));
          expect(group.createdAt!.getTime() / 1000).toBe(Number(parts[1]));
          expect(group.updatedAt!.getTime() / 1000).toBe(Number(parts[2]));
          expect(group.serializationId).toBe(String(members[i]![1]));
          expect(group.activities.map((a) => a.serializationId)).toEqual(parts[5]!.split(';'));
        });
      }

      // the notification feed: whole activities inside, unseen/unread from Python's lists
      const notifications = await notification.for(21).get();
      expect(notifications.map((g) => g.group)).toEqual([
        '4-502-2014-01-02',
        '3-501-2014-01-02',
        '4-500-2014-01-02',
      ]);
      expect(
        notifications.map((g) => g.activities.map((a) => [a.objectId, a.extraContext])),
      ).toEqual([[[502, { item_id: 702 }]], [[501, { item_id: 701 }]], [[500, { item_id: 700 }]]]);
      expect(notifications.every((g) => !g.isSeen() && !g.isRead())).toBe(true);
      expect(await notification.for(21).counts()).toEqual({ unseen: 3, unread: 3 });
      // and they can be updated in place
      expect(await notification.for(21).markActivity(notifications[0]!)).toEqual({
        unseen: 2,
        unread: 3,
      });
    });

    it("writes the scenario through this package into Python's keyspace: same keys, members, scores, fields", async () => {
      const { normal, aggregated, user, notification } = feeds();
      const followers = (actor: number | bigint | string) =>
        scenario.followers[String(actor)] ?? [];
      // Manager.add_user_activity, by hand: activity storage, the author's feed, the fanout
      for (const activity of activities) {
        await user.insertActivity(activity);
        await user.for(activity.actorId).add(activity);
        await normal.addToMany(followers(activity.actorId), [activity]);
        await aggregated.addToMany(followers(activity.actorId), [activity]);
      }
      // Manager.remove_user_activity(13, activities[1]): feeds only, not the activity storage
      const removed = activities[1]!;
      await user.for(13).remove(removed);
      await normal.removeFromMany(followers(13), [removed]);
      await aggregated.removeFromMany(followers(13), [removed]);
      // RedisNotificationFeed(21).add_many(activities[0:3])
      await notification.for(21).addMany(activities.slice(0, 3));

      const expectedKeys = Object.keys(scenario.keys)
        .map((key) => prefix + clusterKey(key))
        .sort();
      expect(await keysOf(redis, prefix)).toEqual(expectedKeys);
      for (const [key, entry] of Object.entries(scenario.keys)) {
        const full = prefix + clusterKey(key);
        if (entry.type === 'zset') {
          const stored = await redis.zrangeBuffer(full, 0, -1, 'WITHSCORES');
          const pairs: Array<[string, number]> = [];
          for (let i = 0; i < stored.length; i += 2)
            pairs.push([latin1(stored[i]!), Number(stored[i + 1]!.toString())]);
          expect(pairs, key).toEqual(entry.value);
        } else if (entry.type === 'hash') {
          const stored = await redis.hgetallBuffer(full);
          expect(Object.keys(stored).sort(), key).toEqual(Object.keys(entry.value).sort());
          for (const [field, value] of Object.entries(entry.value))
            expect(latin1(stored[field]!), `${key} ${field}`).toBe(value);
        } else {
          const stored = (await redis.lrangeBuffer(full, 0, -1)).map(latin1);
          // Python pushed each batch newest first; this library pushes oldest first so that the
          // newest end of a capped list holds the newest ids: same ids, order documented.
          expect(stored.slice().sort(), key).toEqual(entry.value.slice().sort());
        }
      }
    });
  });
}
