import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/cassandra.sh', import.meta.url));

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
  const off = process.env.SF_CASSANDRA === '0';
  const contactPoints = off
    ? []
    : (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',').map((p) => p.trim());
  const localDataCenter = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';
  const keyspace = `sftest_stream_${randomBytes(4).toString('hex')}`;
  project.provide('cassandraContactPoints', contactPoints);
  project.provide('cassandraLocalDc', localDataCenter);
  project.provide('cassandraKeyspace', keyspace);
  if (off) return;
  if (!process.env.CASSANDRA_CONTACT_POINTS) {
    const status = await run('bash', [script, 'status']).then(
      () => 0,
      (error: { code?: number }) => error.code ?? 1,
    );
    if (status !== 0) await run('bash', [script, 'start'], { timeout: 300_000 });
  }
  return async () => {
    // Through the script's raw CQL frame: a global setup does not resolve workspace packages
    // to their sources, and this app has no driver of its own.
    const [host, port] = contactPoints[0]!.split(':');
    await run('bash', [script, 'cql', `DROP KEYSPACE IF EXISTS ${keyspace}`], {
      env: { ...process.env, CASSANDRA_ADDRESS: host, CASSANDRA_PORT: port ?? '9042' },
      timeout: 120_000,
    });
  };
}
