import { describe, expect, it } from 'vitest';
import { NotificationActivity } from '@sf/activity';
import { NotificationFeed } from '../notification-feed.js';
import type { NotificationCountsEvent } from '../notification-feed.js';
import { verbs } from './fixtures.js';
import { eventually } from './conformance-context.js';
import type { ConformanceContext } from './conformance-context.js';

/** Notification feeds end to end: whole activities, markers, counts and their events. */
export function notificationTests(ctx: ConformanceContext): void {
  const { makeActivity, makeActivities } = ctx;
  describe('notification feeds', () => {
    const define = (options: { markersMaxLength?: number } = {}) =>
      NotificationFeed.define({
        name: 'notification',
        keyFormat: 'notification_feed:{userId}',
        storage: ctx.storage,
        ...options,
      });

    it('stores whole activities grouped by verb, object and day, all unseen and unread', async () => {
      const definition = define();
      const feed = definition.for(21);
      const follows = makeActivities(3, (i) => ({
        verb: verbs.Follow,
        object: 21,
        actor: 100 + i,
        extraContext: { n: i },
      }));
      const loves = makeActivities(2, (i) => ({
        verb: verbs.Love,
        object: 7,
        actor: i,
        offset: 60_000 + i,
      }));
      await feed.addMany([...follows, ...loves]);
      const read = await feed.get();
      expect(read.map((a) => a.group)).toEqual(['3-7-2013-07-08', '1-21-2013-07-08']);
      expect(read[0]).toBeInstanceOf(NotificationActivity);
      expect(read[1]!.actorIds).toEqual([101, 102, 103]);
      expect(read[1]!.activities.map((a) => a.extraContext)).toEqual([
        { n: 1 },
        { n: 2 },
        { n: 3 },
      ]);
      expect(read.map((a) => [a.isSeen(), a.isRead()])).toEqual([
        [false, false],
        [false, false],
      ]);
      expect(await feed.counts()).toEqual({ unseen: 2, unread: 2 });
      expect(await feed.countUnseen()).toBe(2);
      expect(await feed.countUnread()).toBe(2);
    });

    it('marks one seen, all seen, all read', async () => {
      const definition = define();
      const feed = definition.for(21);
      await feed.addMany(makeActivities(3, (i) => ({ object: i, verb: verbs.Love })));
      const [newest] = await feed.get();
      expect(await feed.markActivity(newest!)).toEqual({ unseen: 2, unread: 3 });
      const [again] = await feed.get({ limit: 1 });
      expect([again!.isSeen(), again!.isRead()]).toEqual([true, false]);
      expect(await feed.markActivity(newest!.serializationId, { read: true })).toEqual({
        unseen: 2,
        unread: 2,
      });
      expect(await feed.markAll()).toEqual({ unseen: 0, unread: 2 });
      expect(await feed.markAll({ read: true })).toEqual({ unseen: 0, unread: 0 });
      expect((await feed.get()).every((a) => a.isSeen() && a.isRead())).toBe(true);
    });

    it('makes a changed aggregated activity unseen again', async () => {
      const definition = define();
      const feed = definition.for(21);
      await feed.add(makeActivity(1, { verb: verbs.Follow, object: 21 }));
      await feed.markAll({ read: true });
      await feed.add(makeActivity(2, { verb: verbs.Follow, object: 21, offset: 5000 }));
      expect(await feed.counts()).toEqual({ unseen: 1, unread: 1 });
      expect((await feed.get())[0]!.activityCount).toBe(2);
    });

    it('caps the markers at markersMaxLength', async () => {
      const feed = define({ markersMaxLength: 3 }).for(21);
      await feed.addMany(makeActivities(5, (i) => ({ object: i, offset: i * 2000 })));
      expect(await feed.count()).toBe(5);
      expect(await feed.counts()).toEqual({ unseen: 3, unread: 3 });
      const read = await feed.get();
      expect(read.map((a) => a.isSeen())).toEqual([false, false, false, true, true]);
    });

    it('announces counts to local listeners and subscribers', async () => {
      const definition = define();
      const local: NotificationCountsEvent[] = [];
      const remote: NotificationCountsEvent[] = [];
      definition.events.on('update', (event) => local.push(event));
      const unsubscribe = await definition.subscribe((event) => remote.push(event));
      try {
        const feed = definition.for(33);
        await feed.add(makeActivity(1));
        await feed.markAll();
        expect(local.map((e) => [e.userId, e.unseen, e.unread])).toEqual([
          ['33', 1, 1],
          ['33', 0, 1],
        ]);
        await eventually(() => remote.length >= 2, ctx.eventTimeout);
        expect(remote.map((e) => [e.userId, e.key, e.unseen, e.unread])).toEqual([
          ['33', 'notification_feed:33', 1, 1],
          ['33', 'notification_feed:33', 0, 1],
        ]);
      } finally {
        await unsubscribe();
      }
    });

    it('deletes the feed with its markers', async () => {
      const feed = define().for(21);
      await feed.addMany(makeActivities(2, (i) => ({ object: i })));
      await feed.delete();
      expect(await feed.count()).toBe(0);
      expect(await feed.counts()).toEqual({ unseen: 0, unread: 0 });
    });
  });
}
