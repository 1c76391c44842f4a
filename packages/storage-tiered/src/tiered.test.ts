import { describe, expect, it } from 'vitest';
import { Feed } from '@sf/feeds';
import type { FlatTimelineItem, StorageBackend, TimelineStorage } from '@sf/feeds/backend';
import { ids, makeActivities } from '@sf/feeds/testing';
import { memoryStorage } from '@sf/storage-memory';
import { TieredCacheError, TieredConfigurationError, tieredStorage } from './index.js';
import type { TieredStorageOptions } from './index.js';

/** A backend whose storages throw while `failing.on` is set (a cache that went away). */
function flaky(backend: StorageBackend): { backend: StorageBackend; failing: { on: boolean } } {
  const failing = { on: false };
  const wrap = <O extends object>(target: O): O =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (failing.on) return Promise.reject(new Error('connection refused (test)'));
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  return {
    failing,
    backend: {
      name: `flaky-${backend.name}`,
      format: backend.format,
      capabilities: backend.capabilities,
      timelineStorage: (options) => wrap(backend.timelineStorage(options)),
      activityStorage: (options) => wrap(backend.activityStorage(options)),
      markerStorage: (options) => backend.markerStorage(options),
    },
  };
}

function setup(options: Partial<TieredStorageOptions> = {}) {
  const cache = memoryStorage();
  const durable = memoryStorage();
  const errors: TieredCacheError[] = [];
  const storage = tieredStorage({
    cache,
    durable,
    cacheMaxLength: 5,
    onCacheError: (error) => errors.push(error),
    ...options,
  });
  const definition = Feed.define({
    name: 'home',
    keyFormat: 'home:{userId}',
    maxLength: 20,
    storage,
  });
  const cacheTimeline = (options.cache ?? cache).timelineStorage({
    name: 'home',
    kind: 'flat',
    serializer: storage.format.timelineSerializer(),
  }) as Required<TimelineStorage<FlatTimelineItem>>;
  return { cache, durable, storage, definition, errors, cacheTimeline };
}

const newestFirst = (activities: readonly { serializationId: string }[]) =>
  ids([...activities].reverse());

describe('tieredStorage', () => {
  it('refuses a cache backend without capabilities.cacheTier, naming it', () => {
    const durable = memoryStorage();
    const plain: StorageBackend = {
      ...flaky(memoryStorage()).backend,
      name: 'plain',
      capabilities: { ...durable.capabilities, cacheTier: false },
    };
    expect(() => tieredStorage({ cache: plain, durable })).toThrow(TieredConfigurationError);
    expect(() => tieredStorage({ cache: plain, durable })).toThrow(
      /cache backend "plain" lacks capabilities\.cacheTier/,
    );
    expect(() => tieredStorage({ cache: memoryStorage(), durable, cacheMaxLength: 0 })).toThrow(
      /cacheMaxLength must be a positive integer, got 0/,
    );
  });

  it('reads a filled feed from the cache, and pages past the cache from the durable store', async () => {
    const { storage, definition } = setup({ refill: 'inline' });
    const activities = makeActivities(12);
    await definition.insertActivities(activities);
    await definition.addToMany([1], activities);
    const feed = definition.for(1);
    expect(ids(await feed.get({ limit: 3 }))).toEqual(newestFirst(activities).slice(0, 3)); // miss, refill
    expect(storage.stats()).toMatchObject({ miss: 1, refill: 1, hit: 0 });
    expect(ids(await feed.get({ limit: 5 }))).toEqual(newestFirst(activities).slice(0, 5));
    expect(ids(await feed.get({ offset: 2, limit: 3 }))).toEqual(
      newestFirst(activities).slice(2, 5),
    );
    expect(storage.stats()).toMatchObject({ hit: 2, 'past-cache': 0 });
    expect(ids(await feed.get({ offset: 3, limit: 5 }))).toEqual(
      newestFirst(activities).slice(3, 8),
    );
    expect(ids(await feed.get())).toEqual(newestFirst(activities));
    expect(storage.stats()).toMatchObject({ hit: 2, 'past-cache': 2 });
    // a fanout keeps the cached feed up to date: the newest page is still a hit
    const [newer] = makeActivities(1, () => ({ offset: 100_000 }));
    await definition.insertActivity(newer!);
    await definition.addToMany([1], [newer!]);
    expect(ids(await feed.get({ limit: 2 }))).toEqual([
      newer!.serializationId,
      newestFirst(activities)[0],
    ]);
    expect(storage.stats()).toMatchObject({ hit: 3, miss: 1 });
  });

  it('answers from the durable store when the cache was flushed, then refills it', async () => {
    const { cache, storage, definition } = setup();
    const activities = makeActivities(8);
    await definition.insertActivities(activities);
    await definition.addToMany([1, 2], activities);
    const feed = definition.for(1);
    await feed.get({ limit: 5 });
    await storage.settled();
    expect(storage.stats()).toMatchObject({ miss: 1, refill: 1 });
    cache.clear(); // FLUSHALL
    expect(ids(await feed.get({ limit: 5 }))).toEqual(newestFirst(activities).slice(0, 5));
    expect(storage.stats()).toMatchObject({ miss: 2 });
    await storage.settled();
    expect(storage.stats().refill).toBe(2);
    expect(ids(await feed.get({ limit: 5 }))).toEqual(newestFirst(activities).slice(0, 5));
    expect(storage.stats()).toMatchObject({ hit: 1, miss: 2 });
    // activities the cache lost are read from the durable store
    expect((await feed.get({ limit: 1 }))[0]!.extraContext).toEqual(
      activities.at(-1)!.extraContext,
    );
  });

  it('never makes a partial cache feed of a fanout to a feed the cache lost', async () => {
    const { cache, storage, definition, cacheTimeline } = setup({ refill: 'inline' });
    const activities = makeActivities(4);
    await definition.insertActivities(activities);
    await definition.addToMany([1], activities.slice(0, 3));
    await definition.for(1).get({ limit: 5 }); // filled
    cache.clear();
    await definition.addToMany([1], activities.slice(3));
    expect(await cacheTimeline.readCached('home:1', { offset: 0, limit: 5 })).toEqual({
      complete: false,
      size: 0,
      items: [],
    });
    expect(await cacheTimeline.count('home:1')).toBe(0);
    expect(ids(await definition.for(1).get())).toEqual(newestFirst(activities));
    expect(storage.stats().refill).toBe(2);
    expect(ids(await cacheTimeline.get('home:1', { offset: 0, limit: null }))).toEqual(
      newestFirst(activities),
    );
  });

  it('keeps a write whose cache write fails, and drops the feed from the cache', async () => {
    const { backend: cache, failing } = flaky(memoryStorage());
    const { storage, definition, errors } = setup({ cache, refill: 'inline' });
    const activities = makeActivities(3);
    await definition.insertActivities(activities.slice(0, 2));
    await definition.addToMany([1], activities.slice(0, 2));
    await definition.for(1).get({ limit: 5 }); // filled
    failing.on = true;
    await definition.insertActivity(activities[2]!);
    expect(await definition.addToMany([1], activities.slice(2))).toBe(1);
    expect(errors.map((error) => error.operation)).toEqual([
      'activity-write',
      'activity-remove',
      'write',
      'evict',
    ]);
    expect(errors[2]).toBeInstanceOf(TieredCacheError);
    expect(errors[2]!.message).toMatch(/cache write failed for "home:1": connection refused/);
    // while the cache is down: every read answers from the durable store
    expect(ids(await definition.for(1).get())).toEqual(newestFirst(activities));
    expect(storage.stats()).toMatchObject({ suspectFeeds: 1, suspectActivities: 1 });
    failing.on = false;
    // back: the stale cache copy is dropped before it is read, then refilled
    expect(ids(await definition.for(1).get())).toEqual(newestFirst(activities));
    expect(ids(await definition.for(1).get())).toEqual(newestFirst(activities));
    expect(storage.stats()).toMatchObject({ suspectFeeds: 0, hit: 1 });
    const [read] = await definition.for(1).get({ limit: 1 });
    expect(read!.serializationId).toBe(activities[2]!.serializationId);
  });

  it('drops a feed from the cache on removal, so the cache never holds a gap', async () => {
    const { storage, definition } = setup({ refill: 'inline' });
    const activities = makeActivities(7);
    await definition.insertActivities(activities);
    await definition.addToMany([1], activities);
    await definition.for(1).get({ limit: 5 }); // filled with the newest 5
    await definition.removeFromMany([1], [activities[6]!]);
    expect(ids(await definition.for(1).get({ limit: 5 }))).toEqual(
      newestFirst(activities.slice(0, 6)).slice(0, 5),
    );
    expect(storage.stats()).toMatchObject({ evict: 1, miss: 2, refill: 2 });
  });

  it('spoils a refill a fanout overtakes, and still answers right', async () => {
    const { storage, definition, cacheTimeline } = setup();
    const activities = makeActivities(3);
    await definition.insertActivities(activities);
    await definition.addToMany([1], activities.slice(0, 2));
    const read = definition.for(1).get({ limit: 5 }); // starts a refill
    await definition.addToMany([1], activities.slice(2)); // lands between the fill's read and write
    await read;
    await storage.settled();
    const state = await cacheTimeline.readCached('home:1', { offset: 0, limit: 5 });
    if (state.complete) expect(ids(state.items)).toEqual(newestFirst(activities));
    expect(ids(await definition.for(1).get())).toEqual(newestFirst(activities));
  });

  it('answers every read when the cache is down from the start', async () => {
    const { backend: cache, failing } = flaky(memoryStorage());
    failing.on = true;
    const { storage, definition, errors } = setup({ cache });
    const activities = makeActivities(3);
    await definition.insertActivities(activities);
    await definition.addToMany([1], activities);
    expect(ids(await definition.for(1).get())).toEqual(newestFirst(activities));
    expect(await definition.for(1).count()).toBe(3);
    await definition.for(1).remove(activities[0]!);
    expect(ids(await definition.for(1).get())).toEqual(newestFirst(activities.slice(1)));
    expect(errors.length).toBeGreaterThan(3);
    expect(storage.stats().hit).toBe(0);
  });

  it('keeps aggregated feeds, markers and counts in the durable store', async () => {
    const { cache, durable, storage } = setup();
    expect(storage.markerStorage({ name: 'n' })).toBeDefined();
    expect(storage.capabilities).toMatchObject({ storesFullActivities: false, cacheTier: false });
    const timeline = storage.timelineStorage({
      name: 'agg',
      kind: 'aggregated',
      serializer: storage.format.timelineSerializer(),
    });
    expect(timeline.constructor).toBe(
      durable.timelineStorage({
        name: 'x',
        kind: 'aggregated',
        serializer: storage.format.timelineSerializer(),
      }).constructor,
    );
    expect(cache.name).toBe('memory');
  });
});
