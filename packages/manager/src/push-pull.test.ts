import { describe, expect, it } from 'vitest';
import { Activity, defineVerb } from '@sf/activity';
import { AggregatedFeed, Feed } from '@sf/feeds';
import type { UserId } from '@sf/feeds';
import { memoryStorage } from '@sf/storage-memory';
import { Manager } from './index.js';
import type { ManagerOptions, ReadFeedOptions } from './index.js';

const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });
const base = Date.UTC(2026, 0, 1, 12);
const pin = (actor: number, object: number) =>
  new Activity({
    actor,
    verb: Pin,
    object,
    target: 100 + actor,
    time: base + object * 60_000,
    extraContext: { n: object },
  });

/** A follow graph both worlds share: author -> followers. */
function graph() {
  const followers = new Map<number, Set<number>>([
    [1, new Set([10, 11])],
    [2, new Set([10, 11])],
    [3, new Set([10, 12])],
  ]);
  const following = (reader: number) =>
    [...followers].filter(([, set]) => set.has(reader)).map(([author]) => author);
  return { followers, following };
}

function world(g: ReturnType<typeof graph>, options: Partial<ManagerOptions> = {}) {
  const storage = memoryStorage();
  const feeds = {
    normal: Feed.define({
      name: 'normal',
      keyFormat: 'feed:normal:{userId}',
      storage,
      maxLength: 20,
    }),
    aggregated: AggregatedFeed.define({
      name: 'aggregated',
      keyFormat: 'feed:aggregated:{userId}',
      storage,
    }),
  };
  const manager = new Manager({
    feeds,
    userFeed: Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage }),
    getFollowerIds: async (userId: UserId) => [...(g.followers.get(Number(userId)) ?? [])],
    ...options,
  });
  return { manager, feeds };
}

const ids = (activities: Activity[]) => activities.map((a) => a.objectId);

describe('push/pull for large accounts', () => {
  it('a reader sees the same pages whether large authors are pushed or pulled', async () => {
    const g = graph();
    const push = world(g);
    const pulled: Array<UserId> = [];
    const pull = world(g, {
      maxFanoutFollowers: 3,
      getPulledAuthorIds: async (reader) => {
        pulled.push(reader);
        // The followed authors over the threshold (a real app keeps follower counts).
        return g.following(Number(reader)).filter((author) => g.followers.get(author)!.size > 3);
      },
    });
    const publish = async (actor: number, object: number) => {
      const activity = pin(actor, object);
      const [a, b] = await Promise.all([
        push.manager.addUserActivity(actor, activity),
        pull.manager.addUserActivity(actor, activity),
      ]);
      return [a, b] as const;
    };

    // Author 1 is small at first: these are pushed in both worlds.
    for (let i = 1; i <= 6; i++) await publish(1 + (i % 3), i);
    // Author 1 grows past maxFanoutFollowers.
    for (const reader of [12, 13, 14]) g.followers.get(1)!.add(reader);
    await push.manager.followUser(12, 1);
    await push.manager.followManyUsers(13, [1]);
    await push.manager.followUser(14, 1);
    await pull.manager.followUser(12, 1);
    await pull.manager.followManyUsers(13, [1]);
    await pull.manager.followUser(14, 1);
    for (let i = 7; i <= 40; i++) {
      const [, pulledHandle] = await publish(1 + (i % 3), i);
      // Author 1 (i % 3 === 0) is no longer fanned out to flat feeds, only to the aggregated one.
      if (i % 3 === 0) expect(pulledHandle.tasks).toBe(1);
    }
    // Reader 11 follows author 3 late: copied in both worlds.
    g.followers.get(3)!.add(11);
    await push.manager.followUser(11, 3);
    await pull.manager.followUser(11, 3);

    // The pull world stored less: author 1's new pins are not in the flat feeds.
    expect(await pull.feeds.normal.for(13).count()).toBeLessThan(
      await push.feeds.normal.for(13).count(),
    );
    expect(await pull.feeds.aggregated.for(13).count()).toBe(
      await push.feeds.aggregated.for(13).count(),
    );

    const pages: ReadFeedOptions[] = [
      {},
      { limit: 5 },
      { offset: 5, limit: 10 },
      { offset: 15, limit: 10 },
      { offset: 19, limit: 3 },
      { offset: 20, limit: 5 },
      { limit: 0 },
      { limit: 8, filter: { activityIdLt: pin(1, 30).serializationId } },
      {
        offset: 2,
        limit: 4,
        filter: {
          activityIdGte: pin(1, 9).serializationId,
          activityIdLte: pin(1, 25).serializationId,
        },
      },
    ];
    for (const reader of [10, 11, 12, 13, 14, 99]) {
      for (const page of pages) {
        const expected = ids(await push.manager.readFeed(reader, 'normal', page));
        const stored = ids(
          await (
            page.filter
              ? push.feeds.normal.for(reader).filter(page.filter)
              : push.feeds.normal.for(reader)
          ).get(page),
        );
        expect(expected).toEqual(stored.slice(0, Math.max(0, 20 - (page.offset ?? 0))));
        expect(
          ids(await pull.manager.readFeed(reader, 'normal', page)),
          `reader ${reader} page ${JSON.stringify(page)}`,
        ).toEqual(expected);
      }
    }
    // Newest first, no duplicates (author 1's early pins are both pushed and in its user feed).
    const all = ids(await pull.manager.readFeed(10, 'normal'));
    expect(all).toHaveLength(20);
    expect(new Set(all).size).toBe(20);
    expect(all).toEqual([...all].sort((a, b) => b - a));
    expect(pulled.length).toBeGreaterThan(0);

    // Removing a pin of the large author: gone for readers at once (it leaves the user feed);
    // copies pushed before the author grew go with forcePush.
    await push.manager.removeUserActivity(1, pin(1, 39));
    await pull.manager.removeUserActivity(1, pin(1, 39));
    await push.manager.removeUserActivity(1, pin(1, 3));
    await pull.manager.removeUserActivity(1, pin(1, 3), { forcePush: true });
    for (const reader of [10, 11, 13]) {
      // A trimmed stored feed does not get back what trimming dropped; a merged read refills
      // from the user feeds, so it may be longer, never different.
      const pushed = ids(await push.manager.readFeed(reader, 'normal'));
      expect(ids(await pull.manager.readFeed(reader, 'normal')).slice(0, pushed.length)).toEqual(
        pushed,
      );
    }
    expect(ids(await pull.manager.readFeed(10, 'normal'))).not.toContain(39);
    expect(ids(await pull.manager.readFeed(10, 'normal', { offset: 10 }))).not.toContain(3);
  });

  it('checks its options and reads aggregated feeds only as stored', async () => {
    const g = graph();
    const { manager } = world(g);
    await expect(manager.readFeed(10, 'aggregated')).rejects.toThrow(
      /readFeed merges flat feeds only/,
    );
    await expect(manager.readFeed(10, 'nope')).rejects.toThrow(/no feed named "nope"/);
    await expect(manager.readFeed(10, 'normal', { offset: -1 })).rejects.toThrow(/offset/);
    expect(() => world(g, { maxFanoutFollowers: 10 })).toThrow(/needs getPulledAuthorIds/);
    expect(() =>
      world(g, {
        maxFanoutFollowers: 10,
        getPulledAuthorIds: async () => [],
        pullFeeds: ['aggregated'],
      }),
    ).toThrow(/"aggregated" is not a flat feed/);
    expect(() => world(g, { maxFanoutFollowers: 0, getPulledAuthorIds: async () => [] })).toThrow(
      /maxFanoutFollowers must be a positive integer/,
    );
  });

  it('asks getFollowerCount first and skips loading the followers of a large author', async () => {
    const storage = memoryStorage();
    const normal = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
    const calls: string[] = [];
    const manager = new Manager({
      feeds: { normal },
      userFeed: Feed.defineUserFeed({ keyFormat: 'feed:user:{userId}', storage }),
      maxFanoutFollowers: 1000,
      getFollowerCount: async (userId) => {
        calls.push(`count:${userId}`);
        return Number(userId) === 1 ? 1_000_000 : 2;
      },
      getFollowerIds: async (userId) => {
        calls.push(`ids:${userId}`);
        return [20, 21];
      },
      getPulledAuthorIds: async () => [1],
    });
    expect((await manager.addUserActivity(1, pin(1, 1))).tasks).toBe(0);
    expect((await manager.addUserActivity(2, pin(2, 2))).tasks).toBe(1);
    expect(calls).toEqual(['count:1', 'count:2', 'ids:2']);
    expect(await manager.isPushAuthor(1)).toBe(false);
    expect(ids(await manager.readFeed(20, 'normal'))).toEqual([2, 1]);
    expect(ids(await normal.for(20).get())).toEqual([2]);
  });

  it('reads only as many entries per source as the page needs when no id filter applies', async () => {
    const g = graph();
    const { manager, feeds } = world(g, {
      maxFanoutFollowers: 1,
      getPulledAuthorIds: async (reader) => g.following(Number(reader)),
    });
    for (let object = 1; object <= 30; object++)
      await manager.addUserActivity(1 + (object % 3), pin(1 + (object % 3), object));
    const limits: Array<number | null> = [];
    const read = (definition: { getEntries: typeof feeds.normal.getEntries }) => {
      const original = definition.getEntries.bind(definition);
      definition.getEntries = async (key, query) => {
        limits.push(query.limit);
        return original(key, query);
      };
    };
    read(feeds.normal);
    read(manager.userFeed);
    const page = ids(await manager.readFeed(10, 'normal', { offset: 2, limit: 3 }));
    expect(page).toEqual([28, 27, 26]);
    // One read per source (own feed + authors 1, 2, 3), each of the page's end, not maxLength.
    expect(limits).toEqual([5, 5, 5, 5]);
    limits.length = 0;
    // With an id filter the window is the whole merged feed: maxLength per source.
    expect(
      ids(
        await manager.readFeed(10, 'normal', {
          limit: 2,
          filter: { activityIdLt: pin(2, 20).serializationId },
        }),
      ),
    ).toEqual([19, 18]);
    expect(limits).toEqual([20, 20, 20, 20]);
  });
});
