import { InvalidActivityError, InvalidArgumentError } from '@sf/activity';
import { InvalidQueryError } from '@sf/feeds';
import type { IdFilter, TimelineOrder, TimelineQuery } from '@sf/feeds/backend';

const decimal = /^(0|[1-9][0-9]*)$/;

function notAnId(what: string, id: unknown): string {
  return `${what} must be a serialization id (a non-negative decimal string), got ${JSON.stringify(id)}`;
}

/** Checks that an id is a canonical non-negative decimal string (stored as an exact `numeric`). */
export function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !decimal.test(id))
    throw new InvalidActivityError(notAnId(what, id), { field: what, value: id });
  return id;
}

/** Distinct checked ids. */
export function uniqueIds(ids: readonly string[], what = 'id'): string[] {
  return [...new Set(ids.map((id) => checkId(id, what)))];
}

export function checkQuery(query: TimelineQuery): {
  offset: number;
  limit: number | null;
  order: TimelineOrder;
} {
  const offset = query.offset ?? 0;
  const limit = query.limit ?? null;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidQueryError(`offset must be a non-negative integer, got ${String(offset)}`, {
      path: 'query.offset',
      value: offset,
    });
  }
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidQueryError(
      `limit must be a non-negative integer or null, got ${String(limit)}`,
      { path: 'query.limit', value: limit },
    );
  }
  const order = query.order ?? 'desc';
  if (order !== 'desc' && order !== 'asc') {
    throw new InvalidQueryError(`order must be 'desc' or 'asc', got ${JSON.stringify(order)}`, {
      path: 'query.order',
      value: order,
    });
  }
  return { offset, limit, order };
}

/** A write's maxLength: undefined (no trim) or a non-negative integer. */
export function checkMaxLength(
  maxLength: number | undefined,
  path = 'options.maxLength',
): number | null {
  if (maxLength === undefined) return null;
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
    throw new InvalidArgumentError(
      `maxLength must be a non-negative integer, got ${String(maxLength)}`,
      { path, value: maxLength },
    );
  }
  return maxLength;
}

const operators: Record<keyof IdFilter, string> = { gte: '>=', gt: '>', lte: '<=', lt: '<' };

/**
 * SQL conditions on `id` for a read's filter (every given bound applies), appended to `values`
 * as `$n::numeric` parameters.
 */
export function filterConditions(filter: IdFilter | undefined, values: unknown[]): string[] {
  const conditions: string[] = [];
  if (!filter) return conditions;
  for (const bound of ['gte', 'gt', 'lte', 'lt'] as const) {
    const id = filter[bound];
    if (id === undefined) continue;
    if (typeof id !== 'string' || !decimal.test(id)) {
      throw new InvalidQueryError(notAnId(`filter ${bound}`, id), {
        path: `query.filter.${bound}`,
        value: id,
      });
    }
    values.push(id);
    conditions.push(`id ${operators[bound]} $${values.length}::numeric`);
  }
  return conditions;
}

/** ` OFFSET $n LIMIT $m` for a page (LIMIT omitted for "all the rest"). */
export function pageClause(offset: number, limit: number | null, values: unknown[]): string {
  let clause = '';
  if (limit !== null) {
    values.push(limit);
    clause += ` LIMIT $${values.length}`;
  }
  if (offset > 0) {
    values.push(offset);
    clause += ` OFFSET $${values.length}`;
  }
  return clause;
}
