import {
  InvalidActivityError,
  MAX_VERB_ID,
  defaultVerbRegistry,
  toSerializationId,
} from '@sf/activity';
import type { Verb } from '@sf/activity';
import { InvalidQueryError } from './errors.js';
import type { IdFilter, TimelineOrder } from './backend/contracts.js';
import { indexValue } from './backend/indexes.js';
import type { TimelineIndex, TimelineWhere } from './backend/indexes.js';

/**
 * Filters, as the feed API takes them: bounds on serialization ids (Stream Framework's
 * `activity_id__gte` etc.), and, on a feed that declares them (`index: { verb, field }`), the
 * verb and the value of one `extraContext` field.
 */
export interface FeedFilter {
  activityIdGte?: string | bigint;
  activityIdGt?: string | bigint;
  activityIdLte?: string | bigint;
  activityIdLt?: string | bigint;
  /** Only activities of this verb: its infinitive (`'love'`), the Verb, or its id. */
  verb?: string | number | Verb;
  /** Only activities whose declared field has this value: `{ board: 'b12' }` (strings or integers). */
  extraContext?: Readonly<Record<string, string | number | bigint>>;
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

/** What a feed filters on: id bounds and indexed values. */
export interface ViewFilter {
  filter: IdFilter;
  where: TimelineWhere;
}

/** What a definition's `index` option declares, for error messages. */
function declared(index: TimelineIndex): string {
  const parts = [
    ...(index.verb ? ['verb: true'] : []),
    ...(index.field === null ? [] : [`field: ${JSON.stringify(index.field)}`]),
  ];
  return parts.length === 0 ? 'no index' : `index: { ${parts.join(', ')} }`;
}

/**
 * A verb given as its infinitive, a Verb or its id, as a registered verb id.
 *
 * @throws InvalidQueryError naming the verb when no registered verb matches
 */
export function resolveVerbId(value: unknown, path = 'filter.verb'): number {
  const verbs = defaultVerbRegistry.list();
  let found: Verb | undefined;
  if (typeof value === 'string') {
    found = verbs.find((verb) => verb.infinitive === value);
    if (!found && /^[0-9]{1,3}$/.test(value)) found = verbs.find((v) => v.id === Number(value));
  } else if (typeof value === 'number') {
    found = verbs.find((verb) => verb.id === value);
  } else if (typeof value === 'object' && value !== null && 'id' in value) {
    // A Verb object is taken at its word (it may come from another registry than the default).
    const id = value.id;
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= MAX_VERB_ID) return id;
  }
  if (!found) {
    const known = verbs.map((verb) => verb.infinitive).join(', ');
    throw new InvalidQueryError(
      `unknown verb ${typeof value === 'object' && value !== null ? JSON.stringify((value as { infinitive?: unknown }).infinitive ?? value) : (JSON.stringify(value) ?? String(value))}; registered verbs: ${known}`,
      { path, value },
    );
  }
  return found.id;
}

/**
 * Splits a feed filter into id bounds and indexed values (combined with the current ones).
 *
 * @throws InvalidQueryError for an unknown key, a bad bound or value, or a filter on a
 *   dimension the feed definition does not declare in `index`
 */
export function toViewFilter(
  current: ViewFilter,
  filter: FeedFilter,
  index: TimelineIndex,
  feedName: string,
): ViewFilter {
  if (typeof filter !== 'object' || filter === null)
    return { ...current, filter: toIdFilter(current.filter, filter) };
  const { verb, extraContext, ...bounds } = filter;
  const where: TimelineWhere = { ...current.where };
  if (verb !== undefined) {
    if (!index.verb) {
      throw new InvalidQueryError(
        `feed ${feedName} cannot filter on verb: declare it with Feed.define({ index: { verb: true } }) (it has ${declared(index)})`,
        { path: 'filter.verb', value: verb },
      );
    }
    where.verb = resolveVerbId(verb);
  }
  if (extraContext !== undefined) {
    if (typeof extraContext !== 'object' || extraContext === null) {
      throw new InvalidQueryError(
        `filter.extraContext takes an object like { board: 'b12' }, got ${String(extraContext)}`,
        { path: 'filter.extraContext', value: extraContext },
      );
    }
    for (const [field, value] of Object.entries(extraContext)) {
      if (value === undefined) continue;
      if (index.field !== field) {
        throw new InvalidQueryError(
          `feed ${feedName} cannot filter on extraContext.${field}: declare it with Feed.define({ index: { field: ${JSON.stringify(field)} } }) (it has ${declared(index)}; one field per feed)`,
          { path: `filter.extraContext.${field}`, value },
        );
      }
      const normalized = indexValue(value);
      if (normalized === undefined) {
        throw new InvalidQueryError(
          `filter.extraContext.${field} must be a string or an integer, got ${String(value)}`,
          { path: `filter.extraContext.${field}`, value },
        );
      }
      where.field = normalized;
    }
  }
  return { filter: toIdFilter(current.filter, bounds), where };
}

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
        `unknown filter ${JSON.stringify(name)}; use one of ${[...Object.keys(filterKeys), 'verb', 'extraContext'].join(', ')}`,
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
