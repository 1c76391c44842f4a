import { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidFormatError } from '@sf/serializers';
import { RedisConfigurationError, redisCapabilities, redisStorage } from './index.js';

// lazyConnect: building a backend must not need a server.
const redis = new Redis({ lazyConnect: true });
afterAll(() => redis.disconnect());

describe('redisStorage options', () => {
  it('picks the serialization format by format or its alias serializer', () => {
    expect(redisStorage({ redis }).format.name).toBe('json');
    expect(redisStorage({ redis, format: 'stream-framework' }).format.name).toBe(
      'stream-framework',
    );
    expect(redisStorage({ redis, serializer: 'stream-framework' }).format.name).toBe(
      'stream-framework',
    );
  });

  it('refuses two different formats and unknown ones', () => {
    expect(() => redisStorage({ redis, format: 'json', serializer: 'stream-framework' })).toThrow(
      /either format or serializer/,
    );
    expect(() => redisStorage({ redis, format: 'pickle' as never })).toThrow(
      /format must be 'json', 'stream-framework'/,
    );
    // The same parser as every storage (issue 12 item 19), checked at creation.
    expect(() => redisStorage({ redis, serializer: { name: 'half' } as never })).toThrow(
      InvalidFormatError,
    );
    expect(() => redisStorage({ redis, serializer: 'pickle' as never })).toThrow(
      /^redisStorage\.serializer must be/,
    );
  });

  it("takes layout 'stream-framework' (default) or 'compact', and names a wrong one", () => {
    expect(redisStorage({ redis }).layout).toBe('stream-framework');
    expect(redisStorage({ redis, layout: 'compact' }).layout).toBe('compact');
    for (const layout of ['Compact', 1, null]) {
      let error: unknown;
      try {
        redisStorage({ redis, layout: layout as never });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(RedisConfigurationError);
      expect(error).toMatchObject({
        path: 'redisStorage.layout',
        value: layout,
        message: `layout must be 'stream-framework' or 'compact', got ${JSON.stringify(layout)}`,
      });
    }
  });
});

describe('redisStorage activityCache', () => {
  it('is on by default for a single Redis, off with activityCache: false', () => {
    expect(redisStorage({ redis }).activityCache?.stats()).toMatchObject({
      entries: 0,
      active: false,
    });
    expect(redisStorage({ redis, activityCache: { maxBytes: 1024 } }).activityCache).not.toBeNull();
    expect(redisStorage({ redis, activityCache: false }).activityCache).toBeNull();
  });

  it('refuses a bad maxBytes, naming it', () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => redisStorage({ redis, activityCache: { maxBytes } })).toThrow(
        /activityCache\.maxBytes must be a positive integer/,
      );
    }
    expect(() => redisStorage({ redis, activityCache: true as never })).toThrow(
      RedisConfigurationError,
    );
  });

  it('is off by default on a Cluster client and refused when asked for', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 7001 }], { lazyConnect: true });
    try {
      expect(redisStorage({ redis: cluster }).activityCache).toBeNull();
      expect(() => redisStorage({ redis: cluster, activityCache: {} })).toThrow(
        /activityCache is not supported on a Redis Cluster client/,
      );
    } finally {
      cluster.disconnect();
    }
  });
});

describe('redisStorage capabilities', () => {
  it('declares ids in timelines, no feed-name rule, events to every process; none without a counts channel', () => {
    expect(redisStorage({ redis }).capabilities).toBe(redisCapabilities);
    expect(redisCapabilities).toMatchObject({
      storesFullActivities: false,
      feedName: null,
      notificationEvents: 'cross-process',
      atomicAggregatedWrites: 'cross-process',
    });
    expect(redisStorage({ redis, countsChannel: null }).capabilities.notificationEvents).toBe(
      'none',
    );
  });
});
