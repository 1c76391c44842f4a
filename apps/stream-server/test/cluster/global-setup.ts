import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/cassandra.sh', import.meta.url));

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

/**
 * Makes sure the 3-node cluster answers: the nodes at CASSANDRA_CLUSTER_CONTACT_POINTS, or those
 * of `scripts/cassandra.sh cluster`, started when they do not answer and then stopped at the end
 * (unless SF_CASSANDRA_CLUSTER_KEEP=1), as @sf/storage-cassandra's `test:cluster` does.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let started = false;
  let points = process.env.CASSANDRA_CLUSTER_CONTACT_POINTS;
  const ownedByScript = !points;
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
  const keyspace = `sftest_stream_cluster_${randomBytes(4).toString('hex')}`;
  project.provide('clusterContactPoints', contactPoints);
  project.provide('clusterLocalDc', process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1');
  project.provide('clusterKeyspace', keyspace);
  project.provide('clusterOwnedByScript', ownedByScript);
  return async () => {
    // Through the script's raw CQL frame (a global setup does not resolve workspace packages to
    // their sources). Node 1 coordinates; the drop reaches the others by schema agreement.
    const [host, port] = contactPoints[0]!.split(':');
    await run('bash', [script, 'cql', `DROP KEYSPACE IF EXISTS ${keyspace}`], {
      env: { ...process.env, CASSANDRA_ADDRESS: host, CASSANDRA_PORT: port ?? '9042' },
      timeout: 120_000,
    });
    if (started && process.env.SF_CASSANDRA_CLUSTER_KEEP !== '1')
      await run('bash', [script, 'cluster', 'stop'], { timeout: 300_000 });
  };
}
