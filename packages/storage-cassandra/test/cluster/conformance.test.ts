import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { cassandraStorage } from '../../src/index.js';
import type { CassandraStorageOptions } from '../../src/index.js';

const contactPoints = inject('clusterContactPoints');
const localDataCenter = inject('clusterLocalDc');
const keyspace = inject('clusterKeyspace');
const replication = { class: 'SimpleStrategy', replication_factor: 3 } as const;

let counter = 0;
const storages: Array<{ close(): Promise<void> }> = [];

/** A storage of its own (its own client, as an application makes it) on the run's keyspace. */
function clusterStorage(options: CassandraStorageOptions = {}) {
  counter += 1;
  const storage = cassandraStorage({
    contactPoints,
    localDataCenter,
    keyspace,
    replication,
    keyPrefix: `c${process.pid}-${counter}:`,
    autoSchema: true,
    ...options,
  });
  storages.push(storage);
  return storage;
}

afterAll(async () => {
  await Promise.all(storages.map((storage) => storage.close()));
});

describe('a 3-node cluster', () => {
  it('is reached on every node at the contact points port, and writes at QUORUM', async () => {
    const storage = clusterStorage();
    await storage.syncSchema();
    expect(storage.consistency).toBe('QUORUM');
    const hosts = storage.client.hosts.values().map((host) => host.address);
    expect(hosts.sort()).toEqual([...contactPoints].sort());
    const rows = await storage.client.execute(
      'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
      [keyspace],
    );
    expect(rows.rows[0]?.replication).toMatchObject({ replication_factor: '3' });
  });
});

runStorageConformanceSuite({
  name: 'cassandra cluster (3 nodes, replication factor 3, QUORUM)',
  createBackend: async () => ({ backend: clusterStorage(), cleanup: async () => {} }),
  testTimeout: 120_000,
});
