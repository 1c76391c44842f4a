import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** host:port,host:port,... or '' when no cluster is configured. */
    redisClusterNodes: string;
    postgresUrl: string;
    /** The prefix of this run's PostgreSQL schemas (dropped at the end). */
    schemaPrefix: string;
    cassandraContactPoints: string[];
    cassandraLocalDc: string;
    /** This run's Cassandra keyspace (dropped at the end). */
    cassandraKeyspace: string;
  }
}

/** Reads the services' addresses (the packages' own setups start them); drops what the run made. */
export default function setup(project: TestProject): () => Promise<void> {
  const run = randomBytes(4).toString('hex');
  const postgresUrl = process.env.SF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042')
    .split(',')
    .map((point) => point.trim());
  const localDataCenter = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';
  const keyspace = `sf_tiered_${run}`;
  const schemaPrefix = `sf_tiered_${run}`;
  project.provide('redisUrl', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  project.provide('redisClusterNodes', process.env.REDIS_CLUSTER_NODES ?? '');
  project.provide('postgresUrl', postgresUrl);
  project.provide('schemaPrefix', schemaPrefix);
  project.provide('cassandraContactPoints', contactPoints);
  project.provide('cassandraLocalDc', localDataCenter);
  project.provide('cassandraKeyspace', keyspace);
  return async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`,
      [`${schemaPrefix}\\_%`],
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA "${name}" CASCADE`);
    await client.end();
    const cql = new cassandra.Client({ contactPoints, localDataCenter });
    try {
      await cql.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
    } catch {
      // Cassandra not used or not running: nothing to drop
    } finally {
      await cql.shutdown();
    }
  };
}
