import { afterAll, describe, expect, it } from 'vitest';
import { Activity, defineVerb } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import type { UserId } from '@sf/feeds';
import { FanoutPriority, Manager } from '@sf/manager';
import { createClient, keyspace, testStorage } from './helpers.js';

const client = createClient();
afterAll(async () => {
  await client.shutdown();
});

const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });
const base = Date.UTC(2026, 0, 1, 12);
const pin = (actor: number, object: number, minutes = object) =>
  new Activity({
    actor,
    verb: Pin,
    object,
    target: 100 + actor,
    time: base + minutes * 60_000,
    extraContext: { title: `pin ${object}` },
  });

describe('the Pinterest flow with the Manager on Cassandra', () => {
  it('pins, fans out, follows, unfollows and removes, writing Cassandra feeds', async () => {
    const storage = testStorage(client);
    const feeds = {
      normal: Feed.define({
        name: 'pin_normal',
        keyFormat: 'feed:normal:{userId}',
        storage,
        maxLength: 50,
      }),
      aggregated: AggregatedFeed.define({
        name: 'pin_aggregated',
        keyFormat: 'feed:aggregated:{userId}',
        storage,
      }),
      notification: NotificationFeed.define({
        name: 'pin_notification',
        keyFormat: 'notification_feed:{userId}',
        storage,
      }),
    };
    const userFeed = Feed.defineUserFeed({
      name: 'pin_user',
      keyFormat: 'feed:user:{userId}',
      storage,
    });
    const followers = new Map([
      [13, [21, 22]],
      [14, [21]],
    ]);
    const manager = new Manager({
      feeds,
      userFeed,
      getFollowerIds: async (userId: UserId) => ({
        [FanoutPriority.HIGH]: followers.get(Number(userId)) ?? [],
      }),
    });
    const surf = pin(13, 1);
    const stairs = pin(14, 2);
    await (await manager.addUserActivity(13, surf)).wait();
    await (await manager.addUserActivity(14, stairs)).wait();

    expect((await manager.getUserFeed(13).get()).map((a) => a.objectId)).toEqual([1]);
    const [newest] = await feeds.normal.for(21).get();
    expect(newest).toBeInstanceOf(Activity);
    expect([newest!.objectId, newest!.actorId, newest!.targetId, newest!.extraContext]).toEqual([
      2,
      14,
      114,
      { title: 'pin 2' },
    ]);
    expect((await feeds.normal.for(21).get()).map((a) => a.objectId)).toEqual([2, 1]);
    expect((await feeds.normal.for(22).get()).map((a) => a.objectId)).toEqual([1]);
    const [group] = await feeds.aggregated.for(21).get();
    expect(group!.group).toBe('5-2026-01-01');
    expect(group!.actorIds).toEqual([13, 14]);
    expect(await feeds.notification.for(21).counts()).toEqual({ unseen: 2, unread: 2 });

    // the rows are in Cassandra, under the feeds' tables
    const rows = await client.execute(
      `SELECT feed_id, object FROM "${keyspace}"."pin_normal" WHERE feed_id = ?`,
      [`${storage.keyPrefix}feed:normal:21`],
      { prepare: true },
    );
    expect(rows.rows.map((row) => Number(row.object))).toEqual([2, 1]);

    followers.get(14)!.push(22);
    await manager.followUser(22, 14);
    expect((await feeds.normal.for(22).get()).map((a) => a.objectId)).toEqual([2, 1]);
    expect((await feeds.aggregated.for(22).get())[0]!.activityCount).toBe(2);

    followers.set(13, [22]);
    await manager.unfollowUser(21, 13);
    expect((await feeds.normal.for(21).get()).map((a) => a.objectId)).toEqual([2]);
    expect((await feeds.aggregated.for(21).get())[0]!.actorIds).toEqual([14]);

    await (await manager.removeUserActivity(14, stairs)).wait();
    expect(await manager.getUserFeed(14).count()).toBe(0);
    expect(await feeds.normal.for(21).count()).toBe(0);
    expect(await feeds.aggregated.for(21).count()).toBe(0);
    expect((await feeds.normal.for(22).get()).map((a) => a.objectId)).toEqual([1]);
  });

  it('fans one activity out to a few hundred followers in chunks', async () => {
    const storage = testStorage(client);
    const feeds = {
      normal: Feed.define({
        name: 'pin_normal',
        keyFormat: 'feed:normal:{userId}',
        storage,
        maxLength: 3,
      }),
      aggregated: AggregatedFeed.define({
        name: 'pin_aggregated',
        keyFormat: 'feed:aggregated:{userId}',
        storage,
      }),
    };
    const userFeed = Feed.defineUserFeed({
      name: 'pin_user',
      keyFormat: 'feed:user:{userId}',
      storage,
    });
    const fans = Array.from({ length: 250 }, (_, i) => 1000 + i);
    const manager = new Manager({
      feeds,
      userFeed,
      fanoutChunkSize: 100,
      getFollowerIds: async () => fans,
    });
    for (let i = 1; i <= 4; i++) {
      const handle = await manager.addUserActivity(7, pin(7, i));
      expect(handle.tasks).toBe(6);
      await handle.wait();
    }
    for (const fan of [1000, 1125, 1249]) {
      expect((await feeds.normal.for(fan).get()).map((a) => a.objectId)).toEqual([4, 3, 2]);
      expect((await feeds.aggregated.for(fan).get())[0]!.activityCount).toBe(4);
    }
  });
});
