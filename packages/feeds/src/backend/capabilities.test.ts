import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, StorageError } from '@sf/activity';
import { checkFeedName, defineCapabilities } from './capabilities.js';
import { StorageConfigurationError, StorageLockError } from './errors.js';
import { decodeMarkerEvent, encodeMarkerEvent } from './events.js';

const base = {
  storesFullActivities: false,
  feedName: null,
  notificationEvents: 'in-process',
  atomicAggregatedWrites: 'in-process',
  shared: false,
} as const;

describe('defineCapabilities', () => {
  it('checks and freezes a declaration', () => {
    const capabilities = defineCapabilities(base);
    expect(capabilities).toEqual(base);
    expect(Object.isFrozen(capabilities)).toBe(true);
  });

  it('refuses a malformed declaration, naming the field', () => {
    expect(() =>
      defineCapabilities({ ...base, notificationEvents: 'everywhere' as never }),
    ).toThrow(/capabilities.notificationEvents must be/);
    expect(() => defineCapabilities({ ...base, storesFullActivities: 'yes' as never })).toThrow(
      InvalidArgumentError,
    );
    expect(() => defineCapabilities({ ...base, feedName: { pattern: 'x' } as never })).toThrow(
      /capabilities.feedName/,
    );
    expect(() => defineCapabilities({ ...base, batchedAggregatedWrites: 'yes' as never })).toThrow(
      /capabilities.batchedAggregatedWrites must be a boolean or undefined, got "yes"/,
    );
    expect(() => defineCapabilities({ ...base, indexedFilters: 1 as never })).toThrow(
      /capabilities.indexedFilters must be a boolean or undefined, got 1/,
    );
    expect(defineCapabilities({ ...base, indexedFilters: true }).indexedFilters).toBe(true);
    expect(defineCapabilities(base).indexedFilters).toBeUndefined();
    expect(() => defineCapabilities({ ...base, fanoutChunkSize: 0 })).toThrow(
      /capabilities.fanoutChunkSize must be a positive integer or undefined, got 0/,
    );
  });

  it('keeps a preferred fanout chunk size, and has none unless declared', () => {
    expect(defineCapabilities({ ...base, fanoutChunkSize: 500 }).fanoutChunkSize).toBe(500);
    expect('fanoutChunkSize' in defineCapabilities(base)).toBe(false);
  });
});

describe('checkFeedName', () => {
  const rule = defineCapabilities({
    ...base,
    feedName: { pattern: /^[a-z]{1,4}$/, description: 'up to 4 lowercase letters' },
  });

  it("applies the backend's rule only", () => {
    expect(checkFeedName('a long name!', defineCapabilities(base))).toBe('a long name!');
    expect(checkFeedName('abc', rule)).toBe('abc');
    expect(() => checkFeedName('abcde', rule)).toThrow(
      /feed name must be up to 4 lowercase letters on this storage, got "abcde"/,
    );
    expect(() => checkFeedName('', defineCapabilities(base))).toThrow(/non-empty string/);
  });
});

describe('the storage error family', () => {
  it('lock errors are storage errors; configuration errors are invalid arguments', () => {
    const lock = new StorageLockError('feed:1', 'busy');
    expect(lock).toBeInstanceOf(StorageError);
    expect([lock.code, lock.key]).toEqual(['SF_STORAGE_LOCK', 'feed:1']);
    const configuration = new StorageConfigurationError('bad', { path: 'x.lock.ttl', value: -1 });
    expect(configuration).toBeInstanceOf(InvalidArgumentError);
    expect([configuration.code, configuration.path, configuration.value]).toEqual([
      'SF_STORAGE_CONFIGURATION',
      'x.lock.ttl',
      -1,
    ]);
  });
});

describe('marker event messages', () => {
  it('round-trip, and foreign messages decode to null', () => {
    const event = { key: 'notification_feed:1', unseen: 2, unread: 3 };
    expect(decodeMarkerEvent(encodeMarkerEvent(event))).toEqual(event);
    expect(decodeMarkerEvent('{"key":1}')).toBeNull();
    expect(decodeMarkerEvent('not json')).toBeNull();
  });
});
