/**
 * `@sf/manager/bullmq`: the fanout queue on BullMQ (needs the `bullmq` and `ioredis` peer
 * dependencies; the main entry does not load them).
 */
export { BullmqFanoutQueue, bullmqFanoutQueue, redisOptionsFromUrl } from './bullmq-queue.js';
export type {
  BullmqFanoutQueueOptions,
  FanoutConnection,
  FanoutJobOptions,
  FanoutWorker,
  FanoutWorkerOptions,
} from './bullmq-queue.js';
export { prioritiesFromEnv, startWorkerFromEnv } from './worker-env.js';
export type { ManagerModule, RunningWorker } from './worker-env.js';
export {
  FailureSummary,
  errorClassOf,
  mergeFailureSnapshots,
  normaliseMessage,
} from './failure-log.js';
export type { FailureKind, FailureSnapshot, FailureSummaryOptions } from './failure-log.js';
