/**
 * `@sf/manager/bullmq`: the fanout queue on BullMQ (needs the `bullmq` peer dependency, and
 * `ioredis` for Redis or `pg` for PostgreSQL; the main entry does not load them).
 */
export { BullmqFanoutQueue, bullmqFanoutQueue } from './bullmq/queue.js';
export type { BullmqFanoutQueueOptions } from './bullmq/queue.js';
export { DEFAULT_POSTGRES_SCHEMA } from './bullmq/backend.js';
export type {
  FanoutBullmqQueue,
  FanoutBullmqWorker,
  FanoutQueueBackend,
  PostgresQueueBackendOptions,
  RedisQueueBackendOptions,
} from './bullmq/backend.js';
export { redisOptionsFromUrl } from './bullmq/connection.js';
export type { FanoutConnection } from './bullmq/connection.js';
export type { FanoutJobOptions } from './bullmq/jobs.js';
export type { FanoutWorker, FanoutWorkerOptions } from './bullmq/worker.js';
export { prioritiesFromEnv, queueOptionsFromEnv, startWorkerFromEnv } from './worker-env.js';
export type { ManagerModule, RunningWorker } from './worker-env.js';
export {
  FailureSummary,
  errorClassOf,
  mergeFailureSnapshots,
  normaliseMessage,
} from './failure-log.js';
export type { FailureKind, FailureSnapshot, FailureSummaryOptions } from './failure-log.js';
