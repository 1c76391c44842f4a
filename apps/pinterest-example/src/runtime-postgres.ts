/**
 * The postgres mode: feeds (@sf/storage-postgres), the domain store (postgres-store.ts) and the
 * fanout jobs (BullMQ's PostgreSQL backend) in one PostgreSQL, nothing else. Loaded by
 * createRuntime only in this mode, so the other modes never load `pg`; this mode never loads
 * ioredis's connection (no Redis client is made).
 */
import pg from 'pg';
import { ConfigError } from './config.js';
import type { RuntimeConfig } from './config.js';
import { PostgresStore } from './postgres-store.js';
import { redactUrl } from './runtime.js';
import type { Runtime, RuntimeParts } from './runtime.js';

/** The schema of the fanout jobs: BullMQ keeps its tables apart from the app's and the feeds'. */
export function queueSchemaOf(schema: string): string {
  return `${schema}_queue`;
}

function reachError(config: RuntimeConfig, error: unknown, what = 'reach'): ConfigError {
  // The driver's own words (a StorageUnavailableError wraps them).
  const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return new ConfigError(
    `cannot ${what} PostgreSQL at ${redactUrl(config.postgres.url)} (${
      reason instanceof Error ? reason.message.split('\n')[0] : String(reason)
    }); start it with scripts/postgres.sh start or set SF_POSTGRES_URL`,
    { path: 'SF_POSTGRES_URL', value: redactUrl(config.postgres.url), cause: error },
  );
}

export async function postgresRuntime(
  config: RuntimeConfig,
  build: (parts: RuntimeParts) => Runtime,
): Promise<Runtime> {
  const { url, schema } = config.postgres;
  // One pool for the domain store and the feeds; BullMQ and the LISTEN of count events have their own.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {
    // An idle client lost its connection: the next query reports it.
  });
  const [{ postgresStorage }, { bullmqFanoutQueue }] = await Promise.all([
    import('@sf/storage-postgres'),
    import('@sf/manager/bullmq'),
  ]);
  let store: PostgresStore;
  try {
    store = await PostgresStore.open({ pool, schema });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error instanceof ConfigError ? error : reachError(config, error);
  }
  const storage = postgresStorage({ pool, schema });
  const queueSchema = queueSchemaOf(schema);
  const queue = bullmqFanoutQueue({
    backend: { type: 'postgres', connectionString: url, schema: queueSchema },
  });
  const runtime = build({
    config,
    describe: {
      storage: `PostgreSQL at ${redactUrl(url)} (schema ${schema}: feeds, people, boards and pins)`,
      queue: `BullMQ on PostgreSQL (schema ${queueSchema})`,
    },
    store,
    feedStorage: storage,
    notificationStorage: storage,
    queue,
    queueService: 'PostgreSQL',
    extraReset: async () => {
      // The feeds' tables are the backend's: drop the schema, then make the tables again.
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await store.sync();
      await storage.sync();
      await queue.obliterate();
    },
    extraClose: async () => {
      await storage.close();
      await pool.end();
    },
  });
  try {
    await storage.sync();
  } catch (error) {
    await runtime.close().catch(() => undefined);
    throw reachError(config, error, 'set up the feeds in');
  }
  return runtime;
}
