import { describe, expect, expectTypeOf, it } from 'vitest';
import { Activity, defineVerb } from '@sf/activity';
import type { AggregatedActivity } from '@sf/activity';
import { Feed } from '@sf/feeds';
import type {
  AggregatedFeed as AggregatedFeedOf,
  NotificationFeed as NotificationFeedOf,
} from '@sf/feeds';
import { memoryStorage } from '@sf/storage-memory';
import { Manager } from './index.js';
import { defineScenarioFeeds } from './testing/feeds.js';

const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });

describe('Manager.getFeeds', () => {
  it('is typed after the feed definitions: no `!` to read a feed by name', async () => {
    const { user: userFeed, ...definitions } = defineScenarioFeeds(memoryStorage());
    const manager = new Manager({ feeds: definitions, userFeed, getFollowerIds: async () => [21] });
    const feeds = manager.getFeeds(21);
    expectTypeOf(feeds.normal).toEqualTypeOf<Feed>();
    expectTypeOf(feeds.aggregated).toEqualTypeOf<AggregatedFeedOf<AggregatedActivity>>();
    expectTypeOf(feeds.notification).toMatchTypeOf<NotificationFeedOf>();
    // A manager of known feeds is still a Manager (fields typed `Manager` keep working).
    expectTypeOf(manager).toMatchTypeOf<Manager>();

    await manager.addUserActivity(
      13,
      new Activity({ actor: 13, verb: Pin, object: 1, time: Date.UTC(2026, 0, 1) }),
    );
    expect((await feeds.normal.get()).map((a) => a.objectId)).toEqual([1]);
    expect(await feeds.aggregated.count()).toBe(1);
    expect(Object.keys(feeds)).toEqual(['normal', 'aggregated', 'notification']);
  });
});
