/**
 * The Cassandra nodes of test global setups (@sf/storage-cassandra, the stream server,
 * Pinstream): the single node of `test:integration` (`ensureTestNode`) and the 3-node cluster of
 * `test:cluster` (`ensureTestCluster`). Plain Node (no workspace package): a global setup does
 * not resolve workspace packages to their sources, so keyspaces are dropped through the script's
 * raw CQL frame.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../cassandra.sh', import.meta.url));

export interface TestCluster extends TestNode {
  /** Whether the nodes are `scripts/cassandra.sh cluster`'s (a test may stop and start one). */
  ownedByScript: boolean;
  /** Stops the cluster if this run started it. */
  release(): Promise<void>;
}

const status = (args: string[]) =>
  run('bash', [script, ...args]).then(
    () => 0,
    (error: { code?: number }) => error.code ?? 1,
  );

function dropKeyspaceAt(contactPoints: readonly string[]) {
  return async (keyspace: string) => {
    const [host, port] = contactPoints[0]!.split(':');
    await run('bash', [script, 'cql', `DROP KEYSPACE IF EXISTS ${keyspace}`], {
      env: { ...process.env, CASSANDRA_ADDRESS: host, CASSANDRA_PORT: port ?? '9042' },
      timeout: 120_000,
    });
  };
}

export interface TestNode {
  /** `host:port` of each contact point. */
  contactPoints: string[];
  localDataCenter: string;
  dropKeyspace(keyspace: string): Promise<void>;
}

/**
 * The single node of integration tests: CASSANDRA_CONTACT_POINTS when set, else 127.0.0.1:9042,
 * started by `scripts/cassandra.sh start` when CQL does not answer and left running for the next
 * run (`scripts/cassandra.sh stop` stops it).
 */
export async function ensureTestNode(): Promise<TestNode> {
  const given = process.env.CASSANDRA_CONTACT_POINTS;
  const contactPoints = (given ?? '127.0.0.1:9042').split(',').map((point) => point.trim());
  if (!given && (await status(['status'])) !== 0)
    await run('bash', [script, 'start'], { timeout: 300_000 });
  return {
    contactPoints,
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
    dropKeyspace: dropKeyspaceAt(contactPoints),
  };
}

/**
 * The 3-node cluster: the nodes at CASSANDRA_CLUSTER_CONTACT_POINTS, or those of
 * `scripts/cassandra.sh cluster`, started when they do not answer and stopped at the end by the
 * run that started them (unless SF_CASSANDRA_CLUSTER_KEEP=1).
 */
export async function ensureTestCluster(): Promise<TestCluster> {
  let started = false;
  let points = process.env.CASSANDRA_CLUSTER_CONTACT_POINTS;
  const ownedByScript = !points;
  if (!points) {
    if ((await status(['cluster', 'status'])) !== 0) {
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
    dropKeyspace: dropKeyspaceAt(contactPoints),
    async release() {
      if (started && process.env.SF_CASSANDRA_CLUSTER_KEEP !== '1')
        await run('bash', [script, 'cluster', 'stop'], { timeout: 300_000 });
    },
  };
}
