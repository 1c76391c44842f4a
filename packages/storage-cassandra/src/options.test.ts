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

/** The port the driver connects to discovered nodes on (its options are not in its typings). */
function peersPort(storage: { client: unknown }): number | undefined {
  return (storage.client as { options: { protocolOptions?: { port?: number } } }).options
    .protocolOptions?.port;
}

describe('cassandraStorage on a cluster', () => {
  it('defaults to a quorum when the keyspace keeps more than one copy, ONE otherwise', async () => {
    const cases: Array<[Record<string, string | number> | undefined, string]> = [
      [undefined, 'ONE'],
      [{ class: 'SimpleStrategy', replication_factor: 1 }, 'ONE'],
      [{ class: 'SimpleStrategy', replication_factor: 3 }, 'QUORUM'],
      [{ class: 'SimpleStrategy', replication_factor: '3' }, 'QUORUM'],
      [{ class: 'NetworkTopologyStrategy', dc1: 3, dc2: 2 }, 'LOCAL_QUORUM'],
      [{ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: 1 }, 'ONE'],
    ];
    for (const [replication, expected] of cases) {
      const storage = cassandraStorage(replication ? { replication } : {});
      expect([replication, storage.consistency]).toEqual([replication, expected]);
      await storage.close();
    }
    const explicit = cassandraStorage({
      replication: { class: 'SimpleStrategy', replication_factor: 3 },
      consistency: 'ALL',
    });
    expect(explicit.consistency).toBe('ALL');
    await explicit.close();
  });

  it("gives the driver the contact points' port for the nodes it discovers", async () => {
    // The driver reads peers from system.peers (no port) and connects on protocolOptions.port:
    // without it a cluster on 9142 sends queries to whatever answers on 9042.
    const cluster = cassandraStorage({ contactPoints: ['127.0.0.1:9142', '127.0.0.2:9142'] });
    expect(peersPort(cluster)).toBe(9142);
    await cluster.close();
    const plain = cassandraStorage({ contactPoints: ['127.0.0.1'] });
    expect(peersPort(plain)).toBe(9042);
    await plain.close();
    const own = cassandraStorage({
      contactPoints: ['127.0.0.1:9142'],
      driverOptions: { protocolOptions: { port: 9200 } },
    });
    expect(peersPort(own)).toBe(9200);
    await own.close();
    expect(() => cassandraStorage({ contactPoints: ['127.0.0.1:9142', '127.0.0.2:9042'] })).toThrow(
      /contactPoints must all use the same native port/,
    );
  });
});
