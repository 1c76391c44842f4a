import {
  InvalidArgumentError,
  SerializationError,
  SfError,
  StorageError,
  StorageUnavailableError,
} from '@sf/activity';
import { StorageConfigurationError, StorageLockError } from '@sf/feeds/backend';
import { describe, expect, it } from 'vitest';
import {
  RedisConfigurationError,
  RedisLockError,
  RedisReplyError,
  RedisSerializationError,
  RedisUnavailableError,
  isUnavailable,
  toStorageError,
} from './errors.js';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('toStorageError', () => {
  const context = { operation: 'timeline.get', key: 'feed:1' };

  it('maps connection problems to RedisUnavailableError (a StorageUnavailableError)', () => {
    for (const error of [
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Connection is closed.'),
      new Error("Cluster isn't ready and enableOfflineQueue options is false"),
      new Error('None of startup nodes is available'),
      new Error('Command timed out'),
      named(
        'MaxRetriesPerRequestError',
        'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
      ),
      named('ClusterAllFailedError', 'Failed to refresh slots cache.'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' }),
      named('ReplyError', 'CLUSTERDOWN The cluster is down'),
      named('ReplyError', 'LOADING Redis is loading the dataset in memory'),
      named('ReplyError', "READONLY You can't write against a read only replica."),
      named('ReplyError', 'MOVED 9176 127.0.0.1:7104'),
      named('ReplyError', 'ASK 9176 127.0.0.1:7104'),
    ]) {
      expect(isUnavailable(error)).toBe(true);
      const mapped = toStorageError(error, context);
      expect(mapped).toBeInstanceOf(RedisUnavailableError);
      expect(mapped).toBeInstanceOf(StorageUnavailableError);
      expect(mapped.code).toBe('SF_STORAGE_UNAVAILABLE');
      expect(mapped.message).toBe(
        `Redis is unavailable (timeline.get on "feed:1"): ${error.message}`,
      );
      expect(mapped.cause).toBe(error);
    }
  });

  it('maps error replies to RedisReplyError', () => {
    const error = named(
      'ReplyError',
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    );
    const mapped = toStorageError(error, context);
    expect(mapped).toBeInstanceOf(RedisReplyError);
    expect(mapped).toBeInstanceOf(StorageError);
    expect(mapped).not.toBeInstanceOf(StorageUnavailableError);
    expect(mapped.code).toBe('SF_REDIS_REPLY');
    expect(mapped.message).toMatch(/^Redis timeline.get on "feed:1" failed: WRONGTYPE/);
  });

  it('passes SfErrors through', () => {
    const error = new RedisSerializationError('feed:1', 'garbage', new Error('bad'));
    expect(toStorageError(error, context)).toBe(error);
    expect(error).toBeInstanceOf(SerializationError);
    expect(SfError.isInstance(error)).toBe(true);
    expect(error.message).toBe('corrupt entry "garbage" in Redis key "feed:1": bad');
    expect(error.field).toBe('feed:1');
  });
});

describe('the shared storage error family', () => {
  it('RedisLockError is a StorageLockError, RedisConfigurationError a StorageConfigurationError, codes kept', () => {
    const lock = new RedisLockError('feed:1', 'busy');
    expect(lock).toBeInstanceOf(StorageLockError);
    expect(lock).toBeInstanceOf(StorageError);
    expect([lock.code, lock.key]).toEqual(['SF_REDIS_LOCK', 'feed:1']);
    const configuration = new RedisConfigurationError('bad');
    expect(configuration).toBeInstanceOf(StorageConfigurationError);
    expect(configuration).toBeInstanceOf(InvalidArgumentError);
    expect(configuration.code).toBe('SF_REDIS_CONFIGURATION');
  });
});
