/**
 * The fanout queue contract: the tasks the manager creates (plain data any process can run), the
 * priorities they run at, and what a queue implements (in-process, BullMQ, or your own).
 */
import type { UserId } from '@sf/feeds';

/** Followers are fanned out to in separate queues by priority (e.g. active users first). */
export const FanoutPriority = {
  HIGH: 'HIGH',
  LOW: 'LOW',
} as const;
export type FanoutPriority = (typeof FanoutPriority)[keyof typeof FanoutPriority];

export const fanoutPriorities: readonly FanoutPriority[] = [
  FanoutPriority.HIGH,
  FanoutPriority.LOW,
];

/** What a fanout task does to its feeds. */
export type FanoutOperation = 'add' | 'remove' | 'update';

/**
 * One chunk of a fanout: apply an operation to the feeds of up to `fanoutChunkSize` users.
 * Tasks carry only data (ids and serialized activities), so any process can run them.
 */
export interface FanoutTask {
  type: 'fanout';
  /**
   * `update`: replace the activities (same ids, new versions) in the feeds that hold them (feeds
   * holding whole activities); never adds them to a feed that lacks them.
   */
  operation: FanoutOperation;
  /** The feed definition's name in the manager's `feeds`. */
  feed: string;
  userIds: UserId[];
  /** Activities in the JSON activity format. */
  activities: string[];
  trim: boolean;
  priority: FanoutPriority;
}

/** Copy (follow) or remove (unfollow) the targets' activities in every feed of a user. */
export interface FollowTask {
  type: 'follow' | 'unfollow';
  userId: UserId;
  targetIds: UserId[];
  priority: FanoutPriority;
}

/**
 * Rebuild the feeds a returning user's inactivity left stale (`inactiveFollowers`): the newest
 * activities of everyone they follow, merged into each feed. `startedAt` is the rebuild state's
 * token (`ActivityClockStorage.startRebuild`).
 */
export interface RebuildTask {
  type: 'rebuild';
  userId: UserId;
  /** The feeds to rebuild (names in the manager's `feeds`). */
  feeds: string[];
  startedAt: number;
  priority: FanoutPriority;
}

export type ManagerTask = FanoutTask | FollowTask | RebuildTask;

/** Runs tasks: the manager, as seen by a queue. */
export interface TaskExecutor {
  runTask(task: ManagerTask): Promise<void>;
}

/** How far a fanout got: tasks done (completed) of all its tasks. */
export interface FanoutProgress {
  completed: number;
  total: number;
}

export interface WaitOptions {
  /** Called when more tasks are done (at most once per check for queues that poll). */
  onProgress?: (progress: FanoutProgress) => void;
}

/** What enqueuing returned: how many tasks, and a way to wait until all of them ran. */
export interface EnqueueResult {
  readonly tasks: number;
  /** Resolves when every task ran (rejects if one failed for good). */
  wait(options?: WaitOptions): Promise<void>;
}

/**
 * Where fanout work goes. The in-process queue runs tasks in this process; the BullMQ queue
 * puts them in Redis for workers in any number of processes and machines.
 */
export interface FanoutQueue {
  /** The manager calls this once; tasks run through `executor`. */
  bind(executor: TaskExecutor): void;
  enqueue(tasks: readonly ManagerTask[]): Promise<EnqueueResult>;
  /** Waits for work this queue runs itself, then releases its resources. */
  close(): Promise<void>;
}
