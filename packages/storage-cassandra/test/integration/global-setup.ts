import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { ensureTestNode } from '../../../../scripts/cassandra/test-nodes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cassandraContactPoints: string[];
    cassandraLocalDc: string;
    /** The keyspace of this run (created by the tests, dropped at the end). */
    cassandraKeyspace: string;
  }
}

/** Makes sure a Cassandra answers (see scripts/cassandra/test-nodes.ts); drops the run's keyspace. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const node = await ensureTestNode();
  const keyspace = `sf_test_${randomBytes(4).toString('hex')}`;
  project.provide('cassandraContactPoints', node.contactPoints);
  project.provide('cassandraLocalDc', node.localDataCenter);
  project.provide('cassandraKeyspace', keyspace);
  return () => node.dropKeyspace(keyspace);
}
