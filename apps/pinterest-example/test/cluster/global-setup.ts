import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/cassandra.sh', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    /** The 3-node cluster's contact points (`host:port`, one port). */
    clusterContactPoints: string[];
  }
}

/**
 * Makes sure the 3-node cluster answers: the nodes at CASSANDRA_CLUSTER_CONTACT_POINTS, or those
 * of `scripts/cassandra.sh cluster`, started when they do not answer and then stopped at the end
 * (unless SF_CASSANDRA_CLUSTER_KEEP=1), as @sf/storage-cassandra's `test:cluster` does. The test
 * drops its own keyspace.
 */
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
  project.provide(
    'clusterContactPoints',
    points.split(',').map((point) => point.trim()),
  );
  return async () => {
    if (started && process.env.SF_CASSANDRA_CLUSTER_KEEP !== '1')
      await run('bash', [script, 'cluster', 'stop'], { timeout: 300_000 });
  };
}
