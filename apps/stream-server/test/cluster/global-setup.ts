import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { ensureTestCluster } from '../../../../scripts/cassandra/test-nodes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterContactPoints: string[];
    clusterLocalDc: string;
    /** The keyspace of this run (replication factor 3, created by the server, dropped at the end). */
    clusterKeyspace: string;
    /** Whether the nodes are `scripts/cassandra.sh cluster`'s (the test may stop and start node 3). */
    clusterOwnedByScript: boolean;
  }
}

/** Makes sure the 3-node cluster answers (see scripts/cassandra/test-nodes.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await ensureTestCluster();
  const keyspace = `sftest_stream_cluster_${randomBytes(4).toString('hex')}`;
  project.provide('clusterContactPoints', cluster.contactPoints);
  project.provide('clusterLocalDc', cluster.localDataCenter);
  project.provide('clusterKeyspace', keyspace);
  project.provide('clusterOwnedByScript', cluster.ownedByScript);
  return async () => {
    await cluster.dropKeyspace(keyspace);
    await cluster.release();
  };
}
