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
    cassandraContactPoints: string[];
    cassandraLocalDc: string;
    /** The keyspace of this run (created by the tests, dropped at the end). */
    cassandraKeyspace: string;
  }
}

/**
 * Makes sure a Cassandra answers: CASSANDRA_CONTACT_POINTS when set, else 127.0.0.1:9042,
 * started by scripts/cassandra.sh (idempotent) when CQL does not answer. A node this setup
 * started is left running (the next run reuses it; `scripts/cassandra.sh stop` stops it).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042')
    .split(',')
    .map((point) => point.trim());
  const localDataCenter = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';
  if (!process.env.CASSANDRA_CONTACT_POINTS) {
    const status = await run('bash', [script, 'status']).then(
      () => 0,
      (error: { code?: number }) => error.code ?? 1,
    );
    if (status !== 0) await run('bash', [script, 'start'], { timeout: 300_000 });
  }
  const keyspace = `sf_test_${randomBytes(4).toString('hex')}`;
  project.provide('cassandraContactPoints', contactPoints);
  project.provide('cassandraLocalDc', localDataCenter);
  project.provide('cassandraKeyspace', keyspace);
  return async () => {
    const client = new cassandra.Client({ contactPoints, localDataCenter });
    try {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
    } finally {
      await client.shutdown();
    }
  };
}
