import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { ensureTestCluster } from '../../../../scripts/cassandra/test-nodes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterContactPoints: string[];
    clusterLocalDc: string;
    /** The keyspace of this run (replication factor 3, created by the tests, dropped at the end). */
    clusterKeyspace: string;
  }
}

/** Makes sure the 3-node cluster answers; stops it afterwards if this setup started it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await ensureTestCluster();
  const keyspace = `sf_cluster_${randomBytes(4).toString('hex')}`;
  project.provide('clusterContactPoints', cluster.contactPoints);
  project.provide('clusterLocalDc', cluster.localDataCenter);
  project.provide('clusterKeyspace', keyspace);
  return async () => {
    await cluster.dropKeyspace(keyspace);
    await cluster.release();
  };
}
