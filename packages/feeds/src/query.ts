import { InvalidActivityError, toSerializationId } from '@sf/activity';
import { InvalidQueryError } from './errors.js';
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
    throw new InvalidQueryError(
      `filter takes an object like { activityIdLt: '...' }, got ${String(filter)}`,
      {
        path: 'filter',
        value: filter,
      },
    );
  }
  const next: IdFilter = { ...current };
  for (const [name, value] of Object.entries(filter)) {
    const bound = filterKeys[name as keyof typeof filterKeys];
    if (!bound) {
      throw new InvalidQueryError(
        `unknown filter ${JSON.stringify(name)}; use one of ${Object.keys(filterKeys).join(', ')}`,
        { path: `filter.${name}`, value },
      );
    }
    if (value === undefined) continue;
    next[bound] = filterBound(name, value);
  }
  return next;
}

/** A filter bound is an activity id, but a bad one is a bad query: the caller passed it to a read. */
function filterBound(name: string, value: unknown): string {
  try {
    return toSerializationId(value as string | bigint);
  } catch (error) {
    if (!(error instanceof InvalidActivityError)) throw error;
    throw new InvalidQueryError(error.message, { path: `filter.${name}`, value, cause: error });
  }
}

export function toOrder(ordering: FeedOrdering): TimelineOrder {
  if (ordering === '-activity_id') return 'desc';
  if (ordering === 'activity_id') return 'asc';
  throw new InvalidQueryError(
    `unknown ordering ${JSON.stringify(ordering)}; use 'activity_id' or '-activity_id'`,
    {
      path: 'ordering',
      value: ordering,
    },
  );
}

export function validatePage(options: PageOptions = {}): { offset: number; limit: number | null } {
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidQueryError(
      `offset must be a non-negative integer (negative indexing is not supported), got ${String(options.offset)}`,
      { path: 'query.offset', value: options.offset },
    );
  }
  const limit = options.limit ?? null;
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidQueryError(
      `limit must be a non-negative integer, got ${String(options.limit)}`,
      {
        path: 'query.limit',
        value: options.limit,
      },
    );
  }
  return { offset, limit };
}
