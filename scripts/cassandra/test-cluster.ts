/**
 * The 3-node test cluster of `test:cluster` global setups (@sf/storage-cassandra, the stream
 * server, Pinstream): the nodes at CASSANDRA_CLUSTER_CONTACT_POINTS, or those of
 * `scripts/cassandra.sh cluster`, started when they do not answer and stopped at the end by the
 * run that started them (unless SF_CASSANDRA_CLUSTER_KEEP=1). Plain Node (no workspace package):
 * a global setup does not resolve workspace packages to their sources, so keyspaces are dropped
 * through the script's raw CQL frame.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../cassandra.sh', import.meta.url));

export interface TestCluster {
  /** `host:port` of each node. */
  contactPoints: string[];
  localDataCenter: string;
  /** Whether the nodes are `scripts/cassandra.sh cluster`'s (a test may stop and start one). */
  ownedByScript: boolean;
  /** Drops a keyspace of the run (node 1 coordinates; the others follow by schema agreement). */
  dropKeyspace(keyspace: string): Promise<void>;
  /** Stops the cluster if this run started it. */
  release(): Promise<void>;
}

export async function ensureTestCluster(): Promise<TestCluster> {
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
  return {
    contactPoints,
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
    ownedByScript,
    async dropKeyspace(keyspace) {
      const [host, port] = contactPoints[0]!.split(':');
      await run('bash', [script, 'cql', `DROP KEYSPACE IF EXISTS ${keyspace}`], {
        env: { ...process.env, CASSANDRA_ADDRESS: host, CASSANDRA_PORT: port ?? '9042' },
        timeout: 120_000,
      });
    },
    async release() {
      if (started && process.env.SF_CASSANDRA_CLUSTER_KEEP !== '1')
        await run('bash', [script, 'cluster', 'stop'], { timeout: 300_000 });
    },
  };
}
