export { Manager } from './manager.js';
export type { FanoutHandle } from './fanout-handle.js';
export type { FanoutFeedDefinition, FanoutFeedDefinitions, FeedsOf } from './feed-registry.js';
export type {
  BatchImportOptions,
  FollowOptions,
  FollowerIds,
  ManagerOptions,
  ReadFeedOptions,
  RemoveActivityOptions,
  UpdateActivityOptions,
} from './manager-options.js';
export {
  FanoutFailedError,
  FanoutQueueClosedError,
  FanoutQueueUnboundError,
  UnknownFeedError,
  UnknownTaskError,
} from './errors.js';
export { InProcessFanoutQueue } from './in-process-queue.js';
export type { InProcessFanoutQueueOptions } from './in-process-queue.js';
export { FanoutPriority, fanoutPriorities } from './fanout-queue.js';
export type {
  EnqueueResult,
  FanoutOperation,
  FanoutProgress,
  FanoutQueue,
  FanoutTask,
  FollowTask,
  ManagerTask,
  RebuildTask,
  TaskExecutor,
  WaitOptions,
} from './fanout-queue.js';
export {
  DEFAULT_INACTIVE_AFTER_MS,
  DEFAULT_REBUILD_TIMEOUT_MS,
  DEFAULT_REBUILD_CONCURRENCY,
} from './inactive-followers.js';
export type {
  FeedStatus,
  InactiveFollowersOptions,
  RebuildFinished,
} from './inactive-followers.js';
