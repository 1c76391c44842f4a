import { InvalidActivityError, toSerializationId } from '@sf/activity';
import type { IdFilter, TimelineOrder } from './backend/contracts.js';

/** Filters on serialization ids, as the feed API takes them (Stream Framework's `activity_id__gte` etc.). */
export interface FeedFilter {
  activityIdGte?: string | bigint;
  activityIdGt?: string | bigint;
  activityIdLte?: string | bigint;
  activityIdLt?: string | bigint;
}

/** `-activity_id` is newest first (the default); `activity_id` oldest first. */
export type FeedOrdering = 'activity_id' | '-activity_id';

/** A page: Python's `feed[offset:offset + limit]`. */
export interface PageOptions {
  offset?: number;
  /** How many items; omit for all the rest. */
  limit?: number;
}

const filterKeys = {
  activityIdGte: 'gte',
  activityIdGt: 'gt',
  activityIdLte: 'lte',
  activityIdLt: 'lt',
} as const;

export function toIdFilter(current: IdFilter, filter: FeedFilter): IdFilter {
  if (typeof filter !== 'object' || filter === null) {
    throw new InvalidActivityError(`filter takes an object like { activityIdLt: '...' }, got ${String(filter)}`);
  }
  const next: IdFilter = { ...current };
  for (const [name, value] of Object.entries(filter)) {
    const bound = filterKeys[name as keyof typeof filterKeys];
    if (!bound) {
      throw new InvalidActivityError(
        `unknown filter ${JSON.stringify(name)}; use one of ${Object.keys(filterKeys).join(', ')}`,
      );
    }
    if (value === undefined) continue;
    next[bound] = toSerializationId(value as string | bigint);
  }
  return next;
}

export function toOrder(ordering: FeedOrdering): TimelineOrder {
  if (ordering === '-activity_id') return 'desc';
  if (ordering === 'activity_id') return 'asc';
  throw new InvalidActivityError(`unknown ordering ${JSON.stringify(ordering)}; use 'activity_id' or '-activity_id'`);
}

export function validatePage(options: PageOptions = {}): { offset: number; limit: number | null } {
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidActivityError(`offset must be a non-negative integer (negative indexing is not supported), got ${String(options.offset)}`);
  }
  const limit = options.limit ?? null;
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidActivityError(`limit must be a non-negative integer, got ${String(options.limit)}`);
  }
  return { offset, limit };
}
