import { compareSerializationIds } from '@sf/activity';
import { isEmptyWhere, matchesWhere } from '@sf/feeds/backend';
import type {
  IdFilter,
  IndexedValues,
  TimelineDimension,
  TimelineOrder,
  TimelineWhere,
} from '@sf/feeds/backend';

export interface TimelineEntry<T> {
  id: string;
  member: string;
  /** What orders entries of equal id before the member: the group of an aggregated item. */
  tie?: string | undefined;
  item: T;
  /** The entry's indexed values (verb id, declared field value), kept with it. */
  values?: IndexedValues | undefined;
}

/** Strings in the order of their UTF-8 bytes (code point order), as Redis and Cassandra compare. */
export function compareBytes(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only surrogates (code points above U+FFFF) sort differently by UTF-16 unit and by byte.
    if ((x >= 0xd800 && x <= 0xdfff) || (y >= 0xd800 && y <= 0xdfff))
      return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0) < 0 ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Newest first: by id descending, then tie (the group) descending, then member descending (as
 * Redis orders equal scores).
 */
function compareEntries(
  a: { id: string; member: string; tie?: string | undefined },
  b: { id: string; member: string; tie?: string | undefined },
): number {
  const byId = compareSerializationIds(b.id, a.id);
  if (byId !== 0) return byId;
  if (a.tie !== undefined && b.tie !== undefined && a.tie !== b.tie)
    return compareBytes(b.tie, a.tie);
  return a.member < b.member ? 1 : a.member > b.member ? -1 : 0;
}

/**
 * One timeline: entries kept in newest-first order in an array, with a member index.
 * Lookups and page reads are O(log n + page); inserts shift the array (timelines are bounded
 * by their maxLength, so this stays cheap).
 */
export class SortedTimeline<T> {
  readonly entries: TimelineEntry<T>[] = [];
  readonly byMember = new Map<string, TimelineEntry<T>>();

  get size(): number {
    return this.entries.length;
  }

  /** First index whose entry is not newer than `probe` (binary search). */
  private lowerBound(probe: { id: string; member: string; tie?: string | undefined }): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareEntries(this.entries[mid]!, probe) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  add(entry: TimelineEntry<T>): boolean {
    if (this.byMember.has(entry.member)) return false;
    this.entries.splice(this.lowerBound(entry), 0, entry);
    this.byMember.set(entry.member, entry);
    return true;
  }

  removeMember(member: string): boolean {
    const entry = this.byMember.get(member);
    if (!entry) return false;
    const index = this.lowerBound(entry);
    this.entries.splice(index, 1);
    this.byMember.delete(member);
    return true;
  }

  /** Index range [start, end) of entries whose id lies within the filter. */
  private range(filter: IdFilter): [number, number] {
    let start = 0;
    let end = this.entries.length;
    // Entries are newest first, so upper id bounds move the start and lower bounds the end.
    if (filter.lte !== undefined)
      start = Math.max(start, this.firstIndexAtOrBelow(filter.lte, true));
    if (filter.lt !== undefined)
      start = Math.max(start, this.firstIndexAtOrBelow(filter.lt, false));
    if (filter.gte !== undefined) end = Math.min(end, this.firstIndexAtOrBelow(filter.gte, false));
    if (filter.gt !== undefined) end = Math.min(end, this.firstIndexAtOrBelow(filter.gt, true));
    return [start, Math.max(start, end)];
  }

  /** First index with id <= bound (inclusive) or id < bound (exclusive). */
  private firstIndexAtOrBelow(bound: string, inclusive: boolean): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const comparison = compareSerializationIds(this.entries[mid]!.id, bound);
      const below = inclusive ? comparison <= 0 : comparison < 0;
      if (below) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  page(
    filter: IdFilter,
    order: TimelineOrder,
    offset: number,
    limit: number | null,
    where?: TimelineWhere,
  ): TimelineEntry<T>[] {
    const [start, end] = this.range(filter);
    if (!isEmptyWhere(where)) {
      // Each entry carries its indexed values: a filtered page walks the id range in order.
      const result: TimelineEntry<T>[] = [];
      let skip = offset;
      const step = order === 'desc' ? 1 : -1;
      for (
        let index = order === 'desc' ? start : end - 1;
        index >= start && index < end;
        index += step
      ) {
        const entry = this.entries[index]!;
        if (!matchesWhere(entry.values ?? {}, where)) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        if (limit !== null && result.length >= limit) break;
        result.push(entry);
      }
      return result;
    }
    const count = Math.max(0, Math.min(limit ?? Infinity, end - start - offset));
    if (count === 0) return [];
    if (order === 'desc') return this.entries.slice(start + offset, start + offset + count);
    const result: TimelineEntry<T>[] = [];
    for (let index = end - 1 - offset; result.length < count; index--)
      result.push(this.entries[index]!);
    return result;
  }

  /** Drops entries beyond the newest `maxLength`; returns how many were dropped. */
  trim(maxLength: number): number {
    if (this.entries.length <= maxLength) return 0;
    const dropped = this.entries.splice(maxLength);
    for (const entry of dropped) this.byMember.delete(entry.member);
    return dropped.length;
  }

  /** Entries with this id (several only for aggregated timelines whose ids collide). */
  entriesWithId(id: string): TimelineEntry<T>[] {
    const start = this.firstIndexAtOrBelow(id, true);
    const result: TimelineEntry<T>[] = [];
    for (
      let index = start;
      index < this.entries.length && this.entries[index]!.id === id;
      index++
    ) {
      result.push(this.entries[index]!);
    }
    return result;
  }

  /** Entries per value of an indexed dimension. */
  countBy(dimension: TimelineDimension): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.entries) {
      const value = entry.values?.[dimension];
      if (value === undefined) continue;
      const key = String(value);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  indexOfId(id: string): number {
    const index = this.firstIndexAtOrBelow(id, true);
    return index < this.entries.length && this.entries[index]!.id === id ? index : -1;
  }
}
