/**
 * Where the BullMQ queues live: Redis (BullMQ's default backend) or PostgreSQL (BullMQ's
 * `createPostgresBackend`, on the `pg` driver). Queues and workers are built here, so the rest of
 * the fanout queue does not care which one it runs on.
 */
import * as bullmq from 'bullmq';
import type {
  BackendFactory,
  IQueueBackend,
  JobProgress,
  PgPoolConfig,
  PostgresConnectionOptions,
  Processor,
  Queue,
  Worker,
  WorkerOptions,
} from 'bullmq';
import { invalidOption } from '../errors.js';
import type { ManagerTask } from '../fanout-queue.js';
import { queueConnection, workerConnections } from './connection.js';
import type { FanoutConnection, QueueConnection } from './connection.js';

/** BullMQ on Redis: the queue's `connection` and `prefix` options say where. */
export interface RedisQueueBackendOptions {
  type: 'redis';
}

/**
 * BullMQ on PostgreSQL. Every queue and worker gets its own `pg` pool from these options (plus,
 * for a worker, one connection that waits for jobs with LISTEN); BullMQ's tables live in `schema`,
 * created and migrated on first use (with an advisory lock, so processes may start together).
 */
export interface PostgresQueueBackendOptions {
  type: 'postgres';
  /** A `postgres://` or `postgresql://` URL. */
  connectionString: string;
  /**
   * The schema of BullMQ's tables: the namespace of these queues, as `prefix` is on Redis
   * (default `bullmq`). Lowercase letters, digits and `_`, at most 63 characters.
   */
  schema?: string;
  /** More node-postgres pool options for each pool (`max`, `ssl`, `idleTimeoutMillis`, ...). */
  pool?: Omit<PgPoolConfig, 'connectionString'>;
  /**
   * Create the schema and run BullMQ's migrations on first use (default true). With false,
   * BullMQ only checks the schema and fails with its `SchemaMigrationRequiredError` when the
   * migrations did not run.
   */
  migrate?: boolean;
}

/** Where the queues live (default `{ type: 'redis' }`, with the queue's `connection`). */
export type FanoutQueueBackend = RedisQueueBackendOptions | PostgresQueueBackendOptions;

/** A fanout queue of one priority, on either backend. */
export type FanoutBullmqQueue = Queue<
  ManagerTask,
  unknown,
  string,
  ManagerTask,
  unknown,
  string,
  IQueueBackend,
  unknown
>;
/** A BullMQ worker of one priority queue, on either backend. */
export type FanoutBullmqWorker = Worker<
  ManagerTask,
  unknown,
  string,
  IQueueBackend,
  JobProgress,
  unknown
>;

/** The queues' backend, resolved from the queue options. */
export type QueueTarget =
  | { type: 'redis'; connection: QueueConnection; prefix: string }
  | { type: 'postgres'; connection: PostgresConnectionOptions; schema: string };

export const DEFAULT_POSTGRES_SCHEMA = 'bullmq';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function postgresFactory(): BackendFactory<IQueueBackend, PostgresConnectionOptions> {
  const factory = (bullmq as Partial<typeof bullmq>).createPostgresBackend;
  if (typeof factory !== 'function') {
    throw invalidOption(
      "backend type 'postgres' needs a bullmq version with its PostgreSQL backend (createPostgresBackend, bullmq 6)",
      'backend.type',
      'postgres',
    );
  }
  return factory;
}

/** Checks the backend options of a queue and resolves where its queues live. */
export function queueTarget(options: {
  backend?: FanoutQueueBackend;
  connection?: FanoutConnection;
  prefix?: string;
}): QueueTarget {
  const backend = options.backend ?? { type: 'redis' };
  if (typeof backend !== 'object' || backend === null)
    throw invalidOption(
      `backend must be { type: 'redis' } or { type: 'postgres', connectionString }, got ${JSON.stringify(backend)}`,
      'backend',
      backend,
    );
  if (backend.type === 'redis') {
    return {
      type: 'redis',
      connection: queueConnection(options.connection),
      prefix: options.prefix ?? 'bull',
    };
  }
  if (backend.type !== 'postgres') {
    throw invalidOption(
      `backend.type is 'redis' or 'postgres', got ${JSON.stringify((backend as { type?: unknown }).type)}`,
      'backend.type',
      (backend as { type?: unknown }).type,
    );
  }
  if (options.connection !== undefined)
    throw invalidOption(
      "connection is the Redis connection; with backend type 'postgres' give backend.connectionString instead",
      'connection',
      options.connection,
    );
  if (options.prefix !== undefined)
    throw invalidOption(
      "prefix is BullMQ's Redis key prefix; on PostgreSQL the schema namespaces the queues (backend.schema)",
      'prefix',
      options.prefix,
    );
  const url = backend.connectionString;
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\/./.test(url))
    throw invalidOption(
      `backend.connectionString must be a postgres:// or postgresql:// URL, got ${JSON.stringify(url)}`,
      'backend.connectionString',
      url,
    );
  const schema = backend.schema ?? DEFAULT_POSTGRES_SCHEMA;
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema))
    throw invalidOption(
      `backend.schema must be lowercase letters, digits and _ (not starting with a digit, at most 63), got ${JSON.stringify(schema)}`,
      'backend.schema',
      schema,
    );
  const migrate = backend.migrate ?? true;
  if (typeof migrate !== 'boolean')
    throw invalidOption(
      `backend.migrate must be true or false, got ${JSON.stringify(migrate)}`,
      'backend.migrate',
      migrate,
    );
  postgresFactory();
  return {
    type: 'postgres',
    schema,
    connection: {
      ...backend.pool,
      connectionString: url,
      schema,
      ...(migrate ? { migrate: true } : { skipMigrations: true }),
    },
  };
}

/** A BullMQ queue on the target's backend. */
export function createQueue(target: QueueTarget, name: string): FanoutBullmqQueue {
  if (target.type === 'redis')
    return new bullmq.Queue<ManagerTask>(name, {
      connection: target.connection,
      prefix: target.prefix,
    }) as unknown as FanoutBullmqQueue;
  return new bullmq.Queue<
    ManagerTask,
    unknown,
    string,
    ManagerTask,
    unknown,
    string,
    IQueueBackend,
    PostgresConnectionOptions
  >(name, { connection: target.connection }, postgresFactory()) as unknown as FanoutBullmqQueue;
}

export type FanoutWorkerSettings = Omit<WorkerOptions, 'connection' | 'prefix'>;

/**
 * Builds the workers of one fanout worker. On Redis each gets a connection of its own (workers
 * block on theirs), closed with `closeAll`; on PostgreSQL each builds its own pool and LISTEN
 * connection and closes them with the worker.
 */
export function workerFactory(target: QueueTarget): {
  create(
    name: string,
    processor: Processor<ManagerTask>,
    settings: FanoutWorkerSettings,
  ): FanoutBullmqWorker;
  closeAll(): Promise<void>;
} {
  if (target.type === 'redis') {
    const connections = workerConnections(target.connection);
    return {
      create: (name, processor, settings) =>
        new bullmq.Worker<ManagerTask>(name, processor, {
          ...settings,
          connection: connections.next(),
          prefix: target.prefix,
        }) as unknown as FanoutBullmqWorker,
      closeAll: () => connections.closeAll(),
    };
  }
  const factory = postgresFactory();
  return {
    create: (name, processor, settings) =>
      new bullmq.Worker<
        ManagerTask,
        unknown,
        string,
        IQueueBackend,
        JobProgress,
        PostgresConnectionOptions
      >(
        name,
        processor,
        { ...settings, connection: target.connection },
        factory,
      ) as unknown as FanoutBullmqWorker,
    closeAll: async () => undefined,
  };
}
