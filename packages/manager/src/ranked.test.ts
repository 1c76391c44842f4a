import { describe, expect, it } from 'vitest';
import { Activity, defineVerb } from '@sf/activity';
import { Feed, InvalidQueryError } from '@sf/feeds';
import type { UserId } from '@sf/feeds';
import { memoryStorage } from '@sf/storage-memory';
import { Manager } from './index.js';
import type { ManagerOptions } from './index.js';

const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });
const base = Date.UTC(2026, 0, 1, 12);
const pin = (actor: number, object: number, likes = (object * 7) % 5) =>
  new Activity({
    actor,
    verb: Pin,
    object,
    time: base + object * 60_000,
    extraContext: { likes },
  });

/** Author 1 has five followers (pulled over a threshold of 3), author 2 one. */
const followers = new Map<number, number[]>([
  [1, [10, 11, 12, 13, 14]],
  [2, [10]],
]);

function world(options: Partial<ManagerOptions> = {}) {
  const storage = memoryStorage();
  const normal = Feed.define({
    name: 'normal',
    keyFormat: 'feed:normal:{userId}',
    storage,
    maxLength: 50,
    rankings: {
      popular: { candidates: 12, score: (activity) => Number(activity.extraContext.likes) },
    },
  });
  const manager = new Manager({
    feeds: { normal },
    userFeed: Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage }),
    getFollowerIds: async (userId: UserId) => followers.get(Number(userId)) ?? [],
    ...options,
  });
  return { manager, normal };
}

async function allPages(
  read: () => ReturnType<Manager['rankedFeed']>,
  limit: number,
  between: () => Promise<void> = async () => {},
): Promise<number[]> {
  const objects: number[] = [];
  let cursor: string | null = null;
  do {
    const page = await read().page(cursor === null ? { limit, now: base } : { limit, cursor });
    objects.push(...page.items.map((activity) => Number(activity.objectId)));
    cursor = page.nextCursor;
    if (cursor !== null) await between();
  } while (cursor !== null);
  return objects;
}

describe('Manager.rankedFeed', () => {
  it('ranks the same candidates whether large authors are pushed or pulled, and pages stay stable', async () => {
    const push = world();
    const pulled: UserId[] = [];
    const pull = world({
      maxFanoutFollowers: 3,
      getPulledAuthorIds: async (reader) => {
        pulled.push(reader);
        return Number(reader) === 10 ? [1] : [];
      },
    });
    for (let object = 1; object <= 20; object++) {
      const activity = pin(object % 3 === 0 ? 2 : 1, object);
      await push.manager.addUserActivity(activity.actorId, activity);
      await pull.manager.addUserActivity(activity.actorId, activity);
    }
    // In the pull world reader 10's own feed holds only author 2's pins.
    expect((await pull.normal.for(10).get()).every((a) => a.actorId === 2)).toBe(true);

    let next = 100;
    const publishBoth = async () => {
      const activity = pin(1, next++, 1000);
      await push.manager.addUserActivity(1, activity);
      await pull.manager.addUserActivity(1, activity);
    };
    const fromPush = await allPages(() => push.manager.rankedFeed(10, 'normal', 'popular'), 5);
    const fromPull = await allPages(
      () => pull.manager.rankedFeed(10, 'normal', 'popular'),
      5,
      publishBoth,
    );
    expect(pulled.length).toBeGreaterThan(0);
    // The newest 12 of the 20 (objects 9..20), by likes then newest first; arrivals wait.
    const expected = Array.from({ length: 12 }, (_, i) => 20 - i).sort(
      (a, b) => ((b * 7) % 5) - ((a * 7) % 5) || b - a,
    );
    expect(fromPush).toEqual(expected);
    expect(fromPull).toEqual(expected);
    // A fresh first page has the arrivals (1000 likes) first.
    const fresh = await pull.manager.rankedFeed(10, 'normal', 'popular').page({ limit: 3 });
    expect(fresh.items.map((a) => a.objectId).slice(0, 2)).toEqual([101, 100]);
  });

  it('rejects unknown rankings and aggregated feeds', async () => {
    const { manager } = world();
    expect(() => manager.rankedFeed(10, 'normal', 'nope')).toThrow(InvalidQueryError);
    expect(() => manager.rankedFeed(10, 'missing', 'popular')).toThrow(/missing/);
  });
});
