import type { TestProject } from 'vitest/node';
import { ensureTestCluster } from '../../../../scripts/cassandra/test-nodes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The 3-node cluster's contact points (`host:port`, one port). */
    clusterContactPoints: string[];
  }
}

/** Makes sure the 3-node cluster answers (see scripts/cassandra/test-nodes.ts); the test drops its own keyspace. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await ensureTestCluster();
  project.provide('clusterContactPoints', cluster.contactPoints);
  return () => cluster.release();
}
