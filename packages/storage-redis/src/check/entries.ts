import type { SerializationFormat, Serializer } from '@sf/serializers';
import { PickleCensusError, pickleCensus } from './pickle-census.js';

/** What a stored entry is: an activity hash value, or a member of a kind of timeline. */
export type EntryKind = 'activity' | 'flat' | 'aggregated' | 'notification';

/**
 * What this library does with an entry: `read` and written back byte for byte; `rewritten`:
 * read, but the next write of it stores other bytes; `unwritable`: read, but writing it back
 * fails (a merge into it is refused); `undecodable`: skipped on reads (lost to this library).
 */
export type EntryStatus = 'read' | 'rewritten' | 'unwritable' | 'undecodable';

export interface EntryResult {
  status: EntryStatus;
  /** Why an entry is undecodable or unwritable (numbers and offsets generalized, for counting). */
  reason?: string;
  /** What a rewritten entry becomes. */
  rewrittenAs?: string;
  /** Python features found in the entry (each named once per entry). */
  findings: string[];
  /** The activity ids a flat or aggregated timeline entry references. */
  activityIds: string[];
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A serializer error message with the parts that differ per entry generalized. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/ at offset \d+/g, '')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d{3,}/g, 'N')
    .slice(0, 160);
}

/** Splits Python's `ActivitySerializer` string like `split(',', 5)`. */
function sfActivityParts(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const comma = text.indexOf(',', start);
    if (comma < 0) break;
    parts.push(text.slice(start, comma));
    start = comma + 1;
  }
  parts.push(text.slice(start));
  return parts;
}

/** Python features in one `ActivitySerializer` string: 64-bit ids, and what its pickle holds. */
function sfActivityFindings(text: string, findings: Set<string>): void {
  const parts = sfActivityParts(text);
  if (parts.length < 6) return;
  for (const index of [0, 2, 3]) {
    const field = parts[index]!;
    if (/^-?\d+$/.test(field) && (BigInt(field) > MAX_SAFE || BigInt(field) < -MAX_SAFE))
      findings.add('big-id');
  }
  const pickle = parts[5]!;
  if (pickle.length === 0) return;
  try {
    for (const finding of pickleCensus(Buffer.from(pickle, 'latin1')).keys())
      findings.add(`extra-context-${finding}`);
  } catch (error) {
    if (!(error instanceof PickleCensusError)) throw error;
  }
}

const SF_ACTIVITY_START = /(?:^|;)(-?\d+,\d+,-?\d+,-?\d+,-?\d+(?:\.\d+)?,)/g;

/** Python features in an `AggregatedActivitySerializer` / `NotificationSerializer` member. */
function sfAggregatedFindings(member: string, kind: EntryKind, findings: Set<string>): string[] {
  const parts = member.slice(2).split(';;');
  if (parts.slice(1, 5).some((date) => /^\d+\.\d{6}$/.test(date) && !date.endsWith('000')))
    findings.add('microsecond-date');
  if (kind === 'aggregated') return parts[5] ? parts[5].split(';') : [];
  // Whole activities inline, `;`-separated (a pickle may hold a `;`: split at activity starts).
  const body = parts.slice(5, -1).join(';;');
  const starts = [...body.matchAll(SF_ACTIVITY_START)].map(
    (match) => match.index + (match[0].startsWith(';') ? 1 : 0),
  );
  starts.forEach((start, i) =>
    sfActivityFindings(
      body.slice(start, i + 1 < starts.length ? starts[i + 1]! - 1 : body.length),
      findings,
    ),
  );
  return [];
}

/** Reads entries of one kind in one format, as this library's storages would. */
export class EntryAnalyzer {
  readonly #serializers: Record<EntryKind, Serializer<unknown>>;

  constructor(format: SerializationFormat) {
    this.#serializers = {
      activity: format.activitySerializer(),
      flat: format.timelineSerializer(),
      aggregated: format.aggregatedSerializer(),
      notification: format.notificationSerializer(),
    };
  }

  analyze(kind: EntryKind, entry: string): EntryResult {
    const findings = new Set<string>();
    let structuralIds: string[] = [];
    // Python features only exist in Stream Framework entries (this library's JSON starts with `j1:`).
    if (kind === 'activity' && !entry.startsWith('j1:')) sfActivityFindings(entry, findings);
    else if (kind !== 'flat' && entry.startsWith('v3'))
      structuralIds = sfAggregatedFindings(entry, kind, findings);
    const serializer = this.#serializers[kind];
    let item: unknown;
    try {
      item = serializer.loads(entry);
    } catch (error) {
      return {
        status: 'undecodable',
        reason: reasonOf(error),
        findings: [...findings],
        activityIds: kind === 'flat' ? [] : structuralIds,
      };
    }
    const kept = keptUnread(item);
    if (kept !== undefined) {
      // Written back verbatim by merges, but left out of every page: lost to readers.
      return {
        status: 'undecodable',
        reason: `an activity kept unread (left out of pages): ${reasonOf(kept)}`,
        findings: [...findings],
        activityIds: [],
      };
    }
    const activityIds =
      kind === 'flat' ? [entry] : kind === 'aggregated' ? idsOf(item, structuralIds) : [];
    let rewritten: string;
    try {
      rewritten = serializer.dumps(item);
    } catch (error) {
      return {
        status: 'unwritable',
        reason: reasonOf(error),
        findings: [...findings],
        activityIds,
      };
    }
    if (rewritten === entry) return { status: 'read', findings: [...findings], activityIds };
    return { status: 'rewritten', rewrittenAs: rewritten, findings: [...findings], activityIds };
  }
}

/**
 * The reason of the first activity a decoder kept without reading it (an opaque activity: it
 * has the stored text as `raw` and a `reason`), which feeds leave out of pages.
 */
function keptUnread(item: unknown): unknown {
  const activities = (item as { activities?: unknown } | null)?.activities;
  if (!Array.isArray(activities)) return undefined;
  const opaque: unknown = activities.find(
    (activity) =>
      typeof activity === 'object' &&
      activity !== null &&
      'raw' in activity &&
      'reason' in activity,
  );
  return opaque === undefined
    ? undefined
    : ((opaque as { reason: unknown }).reason ?? 'unreadable');
}

function idsOf(item: unknown, fallback: string[]): string[] {
  const ids = (item as { activityIds?: unknown }).activityIds;
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids : fallback;
}

/** What kind of timeline a sorted-set member looks like, or undefined when it is no feed entry. */
export function kindOfMember(member: string): Exclude<EntryKind, 'activity'> | undefined {
  if (/^\d{1,40}$/.test(member)) return 'flat';
  if (member.startsWith('v3')) {
    const parts = member.slice(2).split(';;');
    if (parts.length < 7) return undefined;
    return /^\d+(;\d+)*$/.test(parts[5]!) ? 'aggregated' : 'notification';
  }
  if (member.startsWith('j1:{'))
    return member.includes('"activityIds":')
      ? 'aggregated'
      : member.includes('"activities":')
        ? 'notification'
        : undefined;
  return undefined;
}
