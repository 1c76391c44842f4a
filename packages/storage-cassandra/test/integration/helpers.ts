import cassandra from 'cassandra-driver';
import type { Client } from 'cassandra-driver';
import { inject } from 'vitest';
import { cassandraStorage } from '../../src/index.js';
import type { CassandraStorage, CassandraStorageOptions } from '../../src/index.js';

export const contactPoints = inject('cassandraContactPoints');
export const localDataCenter = inject('cassandraLocalDc');
export const keyspace = inject('cassandraKeyspace');

/** One driver client for a test file (storages made with it share its connections). */
export function createClient(): Client {
  return new cassandra.Client({
    contactPoints,
    localDataCenter,
    encoding: { useBigIntAsVarint: true, useBigIntAsLong: true },
  });
}

let counter = 0;

/** A key prefix no other test of this run uses. */
export function uniquePrefix(label = 't'): string {
  counter += 1;
  return `${label}${process.pid}-${counter}-${Date.now().toString(36)}:`;
}

/** A storage on the run's keyspace with its own key prefix, creating tables on first use. */
export function testStorage(
  client: Client,
  options: CassandraStorageOptions = {},
): CassandraStorage {
  return cassandraStorage({
    client,
    keyspace,
    keyPrefix: uniquePrefix(),
    autoSchema: true,
    ...options,
  });
}
