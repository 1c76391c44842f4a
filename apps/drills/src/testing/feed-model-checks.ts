/** What the flat and aggregated models share: id filters, pages and the step-by-step comparison. */
import { compareSerializationIds } from '@sf/activity';
import type { FeedFilter } from '@sf/feeds';
import type { Bound, FeedOp } from './feed-scenarios.js';

export const cmp = compareSerializationIds;

export function boundValue(bound: Bound, idOf: (index: number) => string): string {
  const id = BigInt(idOf(bound.base)) + BigInt(bound.delta);
  return (id < 0n ? 0n : id).toString();
}

export function toFilter(
  bounds: readonly Bound[],
  idOf: (index: number) => string,
): { filter: FeedFilter; exact: Record<string, string> } {
  const filter: FeedFilter = {};
  const exact: Record<string, string> = {};
  for (const bound of bounds) {
    const value = boundValue(bound, idOf);
    exact[bound.kind] = value;
    if (bound.kind === 'gt') filter.activityIdGt = value;
    if (bound.kind === 'gte') filter.activityIdGte = value;
    if (bound.kind === 'lt') filter.activityIdLt = value;
    if (bound.kind === 'lte') filter.activityIdLte = value;
  }
  return { filter, exact };
}

export function within(id: string, bounds: Record<string, string>): boolean {
  if (bounds.gt !== undefined && cmp(id, bounds.gt) <= 0) return false;
  if (bounds.gte !== undefined && cmp(id, bounds.gte) < 0) return false;
  if (bounds.lt !== undefined && cmp(id, bounds.lt) >= 0) return false;
  if (bounds.lte !== undefined && cmp(id, bounds.lte) > 0) return false;
  return true;
}

export function page<T>(items: readonly T[], offset: number, limit: number | undefined): T[] {
  return items.slice(offset, limit === undefined ? undefined : offset + limit);
}

export class ModelMismatch extends Error {}

export function check(
  label: string,
  step: number,
  history: readonly FeedOp[],
  expected: unknown,
  actual: unknown,
): void {
  const e = JSON.stringify(expected);
  const a = JSON.stringify(actual);
  if (e !== a) {
    throw new ModelMismatch(
      `${label}: step ${step} ${JSON.stringify(history[step])} differs from the model\n  expected ${e}\n  actual   ${a}\n  ops so far: ${JSON.stringify(history.slice(0, step + 1))}`,
    );
  }
}
