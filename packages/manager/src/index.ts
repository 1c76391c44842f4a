export { Manager } from './manager.js';
export type {
  BatchImportOptions,
  FanoutFeedDefinition,
  FanoutHandle,
  FollowOptions,
  FollowerIds,
  ManagerOptions,
  ReadFeedOptions,
  RemoveActivityOptions,
} from './manager.js';
export { InProcessFanoutQueue } from './in-process-queue.js';
export type { InProcessFanoutQueueOptions } from './in-process-queue.js';
export { FanoutPriority, fanoutPriorities } from './fanout-queue.js';
export type {
  EnqueueResult,
  FanoutProgress,
  FanoutQueue,
  FanoutTask,
  FollowTask,
  ManagerTask,
  TaskExecutor,
  WaitOptions,
} from './fanout-queue.js';
