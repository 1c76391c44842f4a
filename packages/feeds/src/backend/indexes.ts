import { Activity } from '@sf/activity';

/**
 * What a feed definition asks its timelines to index at write time (`Feed.define({ index })`):
 * the verb of each activity and/or the value of one `extraContext` field.
 */
export interface TimelineIndex {
  /** Keep an index per verb: `filter({ verb })` and `countBy('verb')`. */
  readonly verb: boolean;
  /** The `extraContext` field whose values (strings or integers) are indexed, or null. */
  readonly field: string | null;
}

/** The indexed dimensions of a query or a count. */
export type TimelineDimension = 'verb' | 'field';

/**
 * A filter on indexed dimensions, all given ones apply. `verb` is a verb id; `field` a value of
 * the declared field in its index form (`indexValue`: integers as decimal strings).
 */
export interface TimelineWhere {
  verb?: number | undefined;
  field?: string | undefined;
}

/** An entry's values in each indexed dimension (absent: not in any value's index). */
export interface IndexedValues {
  verb?: number | undefined;
  field?: string | undefined;
}

/**
 * The index form of a field value: strings as they are, integers (numbers or bigints) as
 * decimal strings (so `12` and `'12'` are the same value); anything else is not indexed.
 */
export function indexValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/**
 * The values a backend indexes for an item it is writing: only whole activities carry them (an
 * id-only entry, or an aggregated item, is in no value's index).
 */
export function indexedValuesOf(item: unknown, index: TimelineIndex | undefined): IndexedValues {
  if (!index || !(item instanceof Activity)) return {};
  const values: IndexedValues = {};
  if (index.verb) values.verb = item.verb.id;
  if (index.field !== null) {
    const value = indexValue(item.extraContext[index.field]);
    if (value !== undefined) values.field = value;
  }
  return values;
}

/** Whether an entry's indexed values match a filter. */
export function matchesWhere(values: IndexedValues, where: TimelineWhere | undefined): boolean {
  if (!where) return true;
  if (where.verb !== undefined && values.verb !== where.verb) return false;
  if (where.field !== undefined && values.field !== where.field) return false;
  return true;
}

/** True when the filter constrains nothing. */
export function isEmptyWhere(where: TimelineWhere | undefined): boolean {
  return !where || (where.verb === undefined && where.field === undefined);
}
