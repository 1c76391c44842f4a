import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { ensureTestNode } from '../../../../scripts/cassandra/test-nodes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Cassandra of the cassandra target (empty with SF_CASSANDRA=0: the target is left out). */
    cassandraContactPoints: string[];
    cassandraLocalDc: string;
    /** The keyspace of this run, shared by every server of it (each has its own key prefix), dropped at the end. */
    cassandraKeyspace: string;
  }
}

/**
 * The cassandra target's node: CASSANDRA_CONTACT_POINTS when set, else 127.0.0.1:9042, started
 * by scripts/cassandra.sh (which reuses a running node) when CQL does not answer; a node started
 * here is left running for the next run. One keyspace per run: creating tables is the slow part
 * of Cassandra, so the servers of a run share them and keep apart by key prefix.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const keyspace = `sftest_stream_${randomBytes(4).toString('hex')}`;
  project.provide('cassandraKeyspace', keyspace);
  if (process.env.SF_CASSANDRA === '0') {
    project.provide('cassandraContactPoints', []);
    project.provide('cassandraLocalDc', process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1');
    return;
  }
  const node = await ensureTestNode();
  project.provide('cassandraContactPoints', node.contactPoints);
  project.provide('cassandraLocalDc', node.localDataCenter);
  return () => node.dropKeyspace(keyspace);
}
