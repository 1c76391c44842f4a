import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/cassandra.sh', import.meta.url));

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
  let started = false;
  let points = process.env.CASSANDRA_CLUSTER_CONTACT_POINTS;
  if (!points) {
    const status = await run('bash', [script, 'cluster', 'status']).then(
      () => 0,
      (error: { code?: number }) => error.code ?? 1,
    );
    if (status !== 0) {
      await run('bash', [script, 'cluster', 'start'], { timeout: 900_000 });
      started = true;
    }
    points = (await run('bash', [script, 'cluster', 'nodes'])).stdout.trim();
  }
  const contactPoints = points.split(',').map((point) => point.trim());
  const localDataCenter = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';
  const keyspace = `sf_cluster_${randomBytes(4).toString('hex')}`;
  project.provide('clusterContactPoints', contactPoints);
  project.provide('clusterLocalDc', localDataCenter);
  project.provide('clusterKeyspace', keyspace);
  return async () => {
    const port = Number(contactPoints[0]!.split(':')[1] ?? 9042);
    const client = new cassandra.Client({
      contactPoints,
      localDataCenter,
      protocolOptions: { port },
    });
    try {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
    } finally {
      await client.shutdown();
    }
    if (started && process.env.SF_CASSANDRA_CLUSTER_KEEP !== '1')
      await run('bash', [script, 'cluster', 'stop'], { timeout: 300_000 });
  };
}
