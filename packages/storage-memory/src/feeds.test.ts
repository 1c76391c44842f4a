import { describe, expect, it } from 'vitest';
import { Activity, InvalidActivityError, InvalidArgumentError, Love } from '@sf/activity';
import {
  AggregatedFeed,
  Feed,
  InvalidFeedOptionError,
  InvalidQueryError,
  NotificationFeed,
} from '@sf/feeds';
import type { Metrics, Timer } from '@sf/feeds';
import { defineCapabilities } from '@sf/feeds/backend';
import { makeActivities } from '@sf/feeds/testing';
import { memoryCapabilities, memoryStorage } from './index.js';

class RecordingMetrics implements Metrics {
  calls: string[] = [];
  onFeedRead(feed: string, count: number) {
    this.calls.push(`read ${feed} ${count}`);
  }
  onFeedWrite(feed: string, count: number) {
    this.calls.push(`write ${feed} ${count}`);
  }
  onFeedRemove(feed: string, count: number) {
    this.calls.push(`remove ${feed} ${count}`);
  }
  onFanout(feed: string, operation: string, count: number) {
    this.calls.push(`fanout ${feed} ${operation} ${count}`);
  }
  onActivityPublished() {
    this.calls.push('published');
  }
  onActivityRemoved() {
    this.calls.push('removed');
  }
  onMissingActivities(feed: string, count: number) {
    this.calls.push(`missing ${feed} ${count}`);
  }
  fanoutTimer(feed: string): Timer {
    return { stop: () => void this.calls.push(`fanout-timer ${feed}`) };
  }
  feedReadTimer(feed: string): Timer {
    return { stop: () => void this.calls.push(`read-timer ${feed}`) };
  }
}

describe('feed definitions', () => {
  it('refuses bad options with a message naming the option', () => {
    const storage = memoryStorage();
    expect(() => Feed.define({ keyFormat: 'feed:normal', storage })).toThrow(
      /must contain the placeholder \{userId\}/,
    );
    // A feed option is not an activity: InvalidFeedOptionError (an InvalidArgumentError) naming it.
    expect(() => Feed.define({ keyFormat: '{userId}:{userId}', storage })).toThrow(
      InvalidFeedOptionError,
    );
    expect(() => Feed.define({ keyFormat: '{userId}:{userId}', storage })).toThrow(
      'keyFormat "{userId}:{userId}" must contain the placeholder {userId} (or %(user_id)s) exactly once',
    );
    for (const [options, path, value] of [
      [{ keyFormat: '{userId}:{userId}' }, 'options.keyFormat', '{userId}:{userId}'],
      [{ keyFormat: 'feed:{userId}', maxLength: 0 }, 'options.maxLength', 0],
    ] as const) {
      const error = thrownBy(() => Feed.define({ ...options, storage }));
      expect(error).toBeInstanceOf(InvalidFeedOptionError);
      expect(error).not.toBeInstanceOf(InvalidActivityError);
      expect([error.code, error.path, error.value]).toEqual([
        'SF_INVALID_FEED_OPTION',
        path,
        value,
      ]);
    }
    expect(
      thrownBy(() =>
        AggregatedFeed.define({ keyFormat: 'agg:{userId}', storage, mergeMaxLength: -1 }),
      ).path,
    ).toBe('options.mergeMaxLength');
    expect(
      thrownBy(() =>
        NotificationFeed.define({ keyFormat: 'n:{userId}', storage, markersMaxLength: 1.5 }),
      ).path,
    ).toBe('options.markersMaxLength');
    expect(() => Feed.define({ keyFormat: 'feed:{userId}', storage, maxLength: 0 })).toThrow(
      /maxLength of feed feed must be a positive integer, got 0/,
    );
    // A feed-name rule is the backend's to declare (Cassandra's table names): memory has none.
    const named = Object.assign(memoryStorage(), {
      capabilities: defineCapabilities({
        ...memoryCapabilities,
        feedName: { pattern: /^[a-z]+$/, description: 'lowercase letters' },
      }),
    });
    expect(() =>
      Feed.define({ keyFormat: 'feed:{userId}', storage: named, name: 'bad name' }),
    ).toThrow(/feed name must be lowercase letters on this storage/);
    expect(() =>
      Feed.define({ keyFormat: 'feed:{userId}', storage: named, name: 'bad name' }),
    ).toThrow(InvalidArgumentError);
    expect(Feed.define({ keyFormat: 'feed:{userId}', storage, name: 'bad name' }).name).toBe(
      'bad name',
    );
    expect(() => Feed.define({ keyFormat: 'feed:{userId}', storage, name: '' })).toThrow(
      /feed name must be a non-empty string/,
    );
    expect(() => Feed.define({ keyFormat: 'feed:{userId}', storage: undefined as never })).toThrow(
      /needs a storage backend/,
    );
    expect(() =>
      AggregatedFeed.define({ keyFormat: 'agg:{userId}', storage, mergeMaxLength: -1 }),
    ).toThrow(/mergeMaxLength/);
    expect(() =>
      NotificationFeed.define({ keyFormat: 'n:{userId}', storage, markersMaxLength: 1.5 }),
    ).toThrow(/markersMaxLength/);
  });

  it('derives names and keys', () => {
    const storage = memoryStorage();
    const definition = Feed.define({ keyFormat: 'feed:normal:{userId}', storage });
    expect(definition.name).toBe('feed_normal');
    expect(definition.maxLength).toBe(100);
    expect(definition.keyFor(21)).toBe('feed:normal:21');
    expect(definition.keyFor('user-7')).toBe('feed:normal:user-7');
    expect(Feed.defineUserFeed({ keyFormat: 'user_feed:{userId}', storage }).maxLength).toBe(
      1_000_000,
    );
  });

  it('refuses crafted user ids that would address other keys', () => {
    const definition = Feed.define({ keyFormat: 'feed:{userId}', storage: memoryStorage() });
    for (const bad of [-1, 1.5, '', 'a b', 'x}{', '../1', 'a'.repeat(129), null, {}]) {
      // A feed owner id is not an activity's field: an InvalidArgumentError naming `userId`.
      expect(() => definition.for(bad as never)).toThrow(InvalidArgumentError);
      expect(() => definition.for(bad as never)).toThrow(
        /^a feed owner id must be a non-negative integer or a token of letters, digits and _\.:- \(max 128\), got /,
      );
      expect(thrownBy(() => definition.for(bad as never)).path).toBe('userId');
    }
  });

  it('refuses bad pages, filters, orderings and activities', async () => {
    const definition = Feed.define({ keyFormat: 'feed:{userId}', storage: memoryStorage() });
    const feed = definition.for(1);
    await expect(feed.get({ offset: -1 })).rejects.toThrow(/negative indexing is not supported/);
    await expect(feed.get({ limit: 2.5 })).rejects.toThrow(
      /limit must be a non-negative integer, got 2.5/,
    );
    await expect(feed.slice(0, -2)).rejects.toThrow(/slice end/);
    expect(() => feed.filter({ activityIdLt: '12a' })).toThrow(/decimal string/);
    expect(() => feed.filter({ activity_id__lt: '1' } as never)).toThrow(
      /unknown filter "activity_id__lt"/,
    );
    expect(() => feed.orderBy('time' as never)).toThrow(/unknown ordering "time"/);
    await expect(feed.add({ serializationId: '1' } as never)).rejects.toThrow(
      /only stores Activity instances/,
    );
    await expect(feed.trim(-1)).rejects.toThrow(/non-negative integer length/);
    await expect(feed.get({ offset: -1 })).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(feed.get({ limit: 2.5 })).rejects.toMatchObject({
      code: 'SF_INVALID_QUERY',
      path: 'query.limit',
      value: 2.5,
    });
    await expect(feed.slice(0, -2)).rejects.toMatchObject({
      code: 'SF_INVALID_QUERY',
      path: 'stop',
      value: -2,
    });
    expect(thrownBy(() => feed.filter({ activityIdLt: '12a' }))).toBeInstanceOf(InvalidQueryError);
    expect(thrownBy(() => feed.orderBy('time' as never)).path).toBe('ordering');
    await expect(feed.trim(-1)).rejects.toMatchObject({
      code: 'SF_INVALID_ARGUMENT',
      path: 'maxLength',
      value: -1,
    });
    await expect(feed.add({ serializationId: '1' } as never)).rejects.toBeInstanceOf(
      InvalidActivityError,
    );
    expect(await feed.get({ limit: 0 })).toEqual([]);
  });

  it('accepts subclasses of Activity', async () => {
    class PinActivity extends Activity {}
    const definition = Feed.define({ keyFormat: 'feed:{userId}', storage: memoryStorage() });
    const pin = new PinActivity({ actor: 1, verb: Love, object: 2, time: 1_000 });
    await definition.insertActivity(pin);
    expect(await definition.for(1).add(pin)).toBe(1);
  });

  it('reports reads, writes, removes and missing activities to metrics', async () => {
    const metrics = new RecordingMetrics();
    const definition = Feed.define({
      name: 'normal',
      keyFormat: 'feed:{userId}',
      storage: memoryStorage(),
      metrics,
    });
    const activities = makeActivities(3);
    await definition.insertActivities(activities);
    await definition.for(1).addMany(activities);
    await definition.removeActivity(activities[0]!);
    await definition.for(1).get();
    await definition.for(1).remove(activities[1]!);
    expect(metrics.calls).toEqual([
      'write normal 3',
      'write normal 3',
      'remove normal 1',
      'missing normal 1',
      'read normal 2',
      'read-timer normal',
      'remove normal 1',
    ]);
  });

  it('shares data between definitions on one backend and isolates separate backends', async () => {
    const shared = memoryStorage();
    const a = Feed.define({ name: 'a', keyFormat: 'feed:{userId}', storage: shared });
    const b = Feed.define({ name: 'b', keyFormat: 'feed:{userId}', storage: shared });
    const c = Feed.define({ name: 'c', keyFormat: 'feed:{userId}', storage: memoryStorage() });
    const [activity] = makeActivities(1);
    await a.insertActivity(activity!);
    await a.for(1).add(activity!);
    expect(await b.for(1).count()).toBe(1);
    expect((await b.for(1).get())[0]!.serializationId).toBe(activity!.serializationId);
    expect(await c.for(1).count()).toBe(0);
  });
});

function thrownBy(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}
