import { compareSerializationIds } from '@sf/activity';
import type { IdFilter, TimelineOrder } from '@sf/feeds';

/** One side of an id range. */
export interface Bound {
  id: string;
  inclusive: boolean;
}

/** The tightest range a filter allows, or `empty` when nothing can match. */
export interface IdRange {
  lower?: Bound | undefined;
  upper?: Bound | undefined;
  empty: boolean;
}

function tighterLower(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  const order = compareSerializationIds(a.id, b.id);
  if (order !== 0) return order > 0 ? a : b;
  return { id: a.id, inclusive: a.inclusive && b.inclusive };
}

function tighterUpper(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  const order = compareSerializationIds(a.id, b.id);
  if (order !== 0) return order < 0 ? a : b;
  return { id: a.id, inclusive: a.inclusive && b.inclusive };
}

/**
 * Folds `gte`/`gt`/`lte`/`lt` (CQL accepts one bound per side) and any extra bounds into one
 * range, comparing ids exactly as decimal strings.
 */
export function idRange(
  filter: IdFilter = {},
  extra: { lower?: Bound; upper?: Bound } = {},
): IdRange {
  let lower = tighterLower(
    filter.gte === undefined ? undefined : { id: filter.gte, inclusive: true },
    filter.gt === undefined ? undefined : { id: filter.gt, inclusive: false },
  );
  let upper = tighterUpper(
    filter.lte === undefined ? undefined : { id: filter.lte, inclusive: true },
    filter.lt === undefined ? undefined : { id: filter.lt, inclusive: false },
  );
  lower = tighterLower(lower, extra.lower);
  upper = tighterUpper(upper, extra.upper);
  let empty = false;
  if (lower && upper) {
    const order = compareSerializationIds(lower.id, upper.id);
    empty = order > 0 || (order === 0 && !(lower.inclusive && upper.inclusive));
  }
  return { lower, upper, empty };
}

/** The `AND activity_id ...` restrictions of a range, with their parameters. */
export function rangeCql(range: IdRange): { cql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  if (range.lower) {
    parts.push(` AND activity_id ${range.lower.inclusive ? '>=' : '>'} ?`);
    params.push(range.lower.id);
  }
  if (range.upper) {
    parts.push(` AND activity_id ${range.upper.inclusive ? '<=' : '<'} ?`);
    params.push(range.upper.id);
  }
  return { cql: parts.join(''), params };
}

/**
 * `SELECT <columns> FROM <table> WHERE feed_id = ? <range> ORDER BY activity_id <order> [LIMIT ?]`.
 * Ordering by the first clustering column orders (or reverses) the whole clustering key.
 */
export function sliceCql(
  table: string,
  columns: string,
  range: IdRange,
  order: TimelineOrder,
  limited: boolean,
): { cql: string; params: string[] } {
  const restriction = rangeCql(range);
  const cql =
    `SELECT ${columns} FROM ${table} WHERE feed_id = ?${restriction.cql} ` +
    `ORDER BY activity_id ${order === 'asc' ? 'ASC' : 'DESC'}${limited ? ' LIMIT ?' : ''}`;
  return { cql, params: restriction.params };
}

/** Ids newest first (descending), exactly. */
export function sortDescending(ids: string[]): string[] {
  return ids.sort((a, b) => compareSerializationIds(b, a));
}
