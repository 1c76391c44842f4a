import { InvalidActivityError } from '@sf/activity';
import { InvalidQueryError } from '@sf/feeds';
import type { IdFilter } from '@sf/feeds';

const decimal = /^(0|[1-9][0-9]*)$/;

/** Compares non-negative decimal strings without leading zeros, as the numbers they are. */
export function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function notAnId(what: string, id: unknown): string {
  return `${what} must be a serialization id (a non-negative decimal string), got ${JSON.stringify(id)}`;
}

/** Checks that an activity id is a canonical non-negative decimal string (what Redis takes as a score). */
export function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !decimal.test(id))
    throw new InvalidActivityError(notAnId(what, id), { field: what, value: id });
  return id;
}

/** The same check for a bound of a read's filter: a bad one is a bad query. */
function checkBound(id: string, bound: keyof IdFilter): string {
  if (typeof id !== 'string' || !decimal.test(id)) {
    throw new InvalidQueryError(notAnId(`filter ${bound}`, id), {
      path: `query.filter.${bound}`,
      value: id,
    });
  }
  return id;
}

/** One side of an id range: the exact id and whether it is included. */
export interface Bound {
  id: string;
  inclusive: boolean;
}

/** The tightest lower and upper bounds of a filter ("all given bounds apply"). */
export function boundsOf(filter: IdFilter | undefined): { low: Bound | null; high: Bound | null } {
  let low: Bound | null = null;
  let high: Bound | null = null;
  if (!filter) return { low, high };
  const tighterLow = (id: string | undefined, inclusive: boolean) => {
    if (id === undefined) return;
    checkBound(id, inclusive ? 'gte' : 'gt');
    const c = low === null ? 1 : compareDecimal(id, low.id);
    if (c > 0 || (c === 0 && !inclusive)) low = { id, inclusive };
  };
  const tighterHigh = (id: string | undefined, inclusive: boolean) => {
    if (id === undefined) return;
    checkBound(id, inclusive ? 'lte' : 'lt');
    const c = high === null ? -1 : compareDecimal(id, high.id);
    if (c < 0 || (c === 0 && !inclusive)) high = { id, inclusive };
  };
  tighterLow(filter.gte, true);
  tighterLow(filter.gt, false);
  tighterHigh(filter.lte, true);
  tighterHigh(filter.lt, false);
  return { low, high };
}
