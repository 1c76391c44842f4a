import { InvalidActivityError } from '@sf/activity';
import type { IdFilter } from '@sf/feeds';

const decimal = /^(0|[1-9][0-9]*)$/;

/** Compares non-negative decimal strings without leading zeros, as the numbers they are. */
export function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Checks that an id is a canonical non-negative decimal string (what Redis takes as a score). */
export function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !decimal.test(id)) {
    throw new InvalidActivityError(`${what} must be a serialization id (a non-negative decimal string), got ${JSON.stringify(id)}`);
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
    checkId(id, inclusive ? 'filter gte' : 'filter gt');
    const c = low === null ? 1 : compareDecimal(id, low.id);
    if (c > 0 || (c === 0 && !inclusive)) low = { id, inclusive };
  };
  const tighterHigh = (id: string | undefined, inclusive: boolean) => {
    if (id === undefined) return;
    checkId(id, inclusive ? 'filter lte' : 'filter lt');
    const c = high === null ? -1 : compareDecimal(id, high.id);
    if (c < 0 || (c === 0 && !inclusive)) high = { id, inclusive };
  };
  tighterLow(filter.gte, true);
  tighterLow(filter.gt, false);
  tighterHigh(filter.lte, true);
  tighterHigh(filter.lt, false);
  return { low, high };
}
