/**
 * Batch import: many activities of one user (e.g. from another system) stored and added to the
 * user's feed in chunks, each chunk fanned out without trimming.
 */
import { Activity, InvalidActivityError, InvalidArgumentError } from '@sf/activity';
import type { FeedDefinition, UserId } from '@sf/feeds';
import { combine } from './fanout-handle.js';
import type { FanoutHandle } from './fanout-handle.js';
import type { FanoutPlan } from './fanout-plan.js';
import type { EnqueueResult } from './fanout-queue.js';
import type { BatchImportOptions } from './manager-options.js';
import { positiveInteger } from './options.js';

/** What an import needs of the manager; `P` is its plan, made once per import. */
export interface BatchImportContext<P extends FanoutPlan = FanoutPlan> {
  userFeed: FeedDefinition;
  plan(userId: UserId): Promise<P>;
  /** Enqueues the fanout of one chunk (without trimming). */
  fanout(plan: P, activities: readonly Activity[]): Promise<EnqueueResult>;
}

/** Every activity must be an Activity of `userId`; nothing is stored otherwise. */
function checkActivities(userId: UserId, activities: readonly Activity[]): void {
  if (!Array.isArray(activities)) {
    throw new InvalidArgumentError(
      `batchImport takes an array of activities, got ${String(activities)}`,
      { path: 'activities', value: activities },
    );
  }
  for (const activity of activities) {
    if (!(activity instanceof Activity)) {
      throw new InvalidActivityError(
        `batchImport takes Activity instances, got ${String(activity)}`,
        { value: activity },
      );
    }
    if (String(activity.actorId) !== String(userId)) {
      throw new InvalidActivityError(
        `batchImport of user ${userId} got an activity of actor ${activity.actorId} (${activity.serializationId}); send activities of one user only`,
        { field: 'actorId', value: activity.actorId },
      );
    }
  }
}

export async function batchImport<P extends FanoutPlan>(
  context: BatchImportContext<P>,
  userId: UserId,
  activities: readonly Activity[],
  options: BatchImportOptions,
): Promise<FanoutHandle> {
  const chunkSize = positiveInteger('chunkSize', options.chunkSize, 500);
  checkActivities(userId, activities);
  const results: EnqueueResult[] = [];
  let imported = 0;
  // The followers once for all chunks (Stream Framework asks again per chunk).
  const plan =
    (options.fanout ?? true) && activities.length > 0 ? await context.plan(userId) : undefined;
  const feed = context.userFeed.for(userId);
  for (let i = 0; i < activities.length; i += chunkSize) {
    const part = activities.slice(i, i + chunkSize);
    await context.userFeed.insertActivities(part);
    await feed.addMany(part, { trim: false });
    if (plan) results.push(await context.fanout(plan, part));
    imported += part.length;
    options.onProgress?.({
      imported,
      total: activities.length,
      fanoutTasks: results.reduce((sum, result) => sum + result.tasks, 0),
    });
  }
  return combine(results);
}
