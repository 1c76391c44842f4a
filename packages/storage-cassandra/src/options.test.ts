import { describe, expect, it } from 'vitest';
import { InvalidFormatError } from '@sf/serializers';
import { InvalidArgumentError } from '@sf/activity';
import { StorageConfigurationError, StorageLockError } from '@sf/feeds/backend';
import {
  CassandraConfigurationError,
  CassandraLockError,
  cassandraCapabilities,
  cassandraStorage,
} from './index.js';

// Creating a backend connects lazily: no server is needed to check options.
describe('cassandraStorage format option', () => {
  it('takes the format names and refuses anything else at creation (issue 12 item 19)', async () => {
    const storage = cassandraStorage({ format: 'stream-framework' });
    expect(storage.format.name).toBe('stream-framework');
    await storage.close();
    expect(() => cassandraStorage({ format: { name: 'half' } as never })).toThrow(
      InvalidFormatError,
    );
    expect(() => cassandraStorage({ format: 'pickle' as never })).toThrow(
      /^cassandraStorage\.format must be/,
    );
  });
});

describe('cassandraStorage capabilities and errors', () => {
  it("declares whole activities, CQL's table-name rule, in-process events; process locks are in-process", async () => {
    const storage = cassandraStorage();
    expect(storage.capabilities).toBe(cassandraCapabilities);
    expect(cassandraCapabilities).toMatchObject({
      storesFullActivities: true,
      notificationEvents: 'in-process',
      atomicAggregatedWrites: 'cross-process',
    });
    expect(cassandraCapabilities.feedName?.pattern.test('a'.repeat(48))).toBe(true);
    expect(cassandraCapabilities.feedName?.pattern.test('a'.repeat(49))).toBe(false);
    await storage.close();
    const local = cassandraStorage({ lock: { mode: 'process' } });
    expect(local.capabilities.atomicAggregatedWrites).toBe('in-process');
    await local.close();
  });

  it('throws the shared storage errors, keeping their codes', () => {
    const configuration = new CassandraConfigurationError('bad');
    expect(configuration).toBeInstanceOf(StorageConfigurationError);
    expect(configuration).toBeInstanceOf(InvalidArgumentError);
    expect(configuration.code).toBe('SF_CASSANDRA_CONFIGURATION');
    expect(() => cassandraStorage({ idType: 'uuid' as never })).toThrow(
      CassandraConfigurationError,
    );
    const lock = new CassandraLockError('feed:1', 'busy');
    expect(lock).toBeInstanceOf(StorageLockError);
    expect([lock.code, lock.key]).toEqual(['SF_CASSANDRA_LOCK', 'feed:1']);
  });
});
