/**
 * `@sf/manager/bullmq`: the fanout queue on BullMQ (needs the `bullmq` and `ioredis` peer
 * dependencies; the main entry does not load them).
 */
export { BullmqFanoutQueue, bullmqFanoutQueue } from './bullmq/queue.js';
export type { BullmqFanoutQueueOptions } from './bullmq/queue.js';
export { redisOptionsFromUrl } from './bullmq/connection.js';
export type { FanoutConnection } from './bullmq/connection.js';
export type { FanoutJobOptions } from './bullmq/jobs.js';
export type { FanoutWorker, FanoutWorkerOptions } from './bullmq/worker.js';
export { prioritiesFromEnv, startWorkerFromEnv } from './worker-env.js';
export type { ManagerModule, RunningWorker } from './worker-env.js';
export {
  FailureSummary,
  errorClassOf,
  mergeFailureSnapshots,
  normaliseMessage,
} from './failure-log.js';
export type { FailureKind, FailureSnapshot, FailureSummaryOptions } from './failure-log.js';
