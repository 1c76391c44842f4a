import type { EntryResult, EntryStatus } from './entries.js';

/** What a key pattern holds, as the migration check classifies it. */
export type PatternKind = 'flat' | 'aggregated' | 'notification' | 'activity' | 'markers' | 'other';

export interface StatusCounts {
  entries: number;
  read: number;
  rewritten: number;
  unwritable: number;
  undecodable: number;
}

export interface EntryExample {
  key: string;
  entry: string;
  status: EntryStatus;
  reason?: string;
  rewrittenAs?: string;
}

/** One key pattern (`feed:normal:*`, a configured key format, `global:*`, ...) and what the check found there. */
export interface PatternReport extends StatusCounts {
  pattern: string;
  kind: PatternKind;
  /** The Redis type of its keys. */
  type: string;
  keys: number;
  /** Why entries are undecodable or unwritable, with counts. */
  reasons: Record<string, number>;
  /** Python features found (see the README), with what happens to the entries holding them. */
  findings: Record<string, StatusCounts>;
  /** Up to 3 entries per status other than `read`. */
  examples: EntryExample[];
  /** Timeline entries whose activity is missing from the activity hashes (skipped on reads, as in Python). */
  missingActivities: { references: number; examples: string[] };
  /** Feeds longer than their maxLength: trimmed on the next write. */
  trimming: { maxLength: number; keys: number; entries: number } | null;
  /** Activity fields stored in another shard than this library looks in (never found). */
  wrongShard: number;
  /** What to do about it, when the check knows (e.g. every entry decodes in the other format). */
  hint: string | null;
  /** Notification marker lists. */
  markers: {
    lists: number;
    pythonOrder: number;
    duplicates: number;
    notIds: number;
    overMaxLength: { lists: number; entries: number };
  } | null;
}

export interface MigrationReport {
  format: string;
  keyPrefix: string;
  match: string;
  /** Keys scanned. */
  keys: number;
  /** Entries this library would lose: undecodable entries and activities in the wrong shard. */
  lost: number;
  ok: boolean;
  patterns: PatternReport[];
}

const truncate = (text: string) => (text.length > 200 ? `${text.slice(0, 197)}...` : text);
const emptyCounts = (): StatusCounts => ({
  entries: 0,
  read: 0,
  rewritten: 0,
  unwritable: 0,
  undecodable: 0,
});

/** Collects what the check finds under one pattern. */
export class PatternStats {
  readonly report: PatternReport;

  constructor(pattern: string, kind: PatternKind, type: string) {
    this.report = {
      pattern,
      kind,
      type,
      keys: 0,
      ...emptyCounts(),
      reasons: {},
      findings: {},
      examples: [],
      missingActivities: { references: 0, examples: [] },
      trimming: null,
      wrongShard: 0,
      hint: null,
      markers:
        kind === 'markers'
          ? {
              lists: 0,
              pythonOrder: 0,
              duplicates: 0,
              notIds: 0,
              overMaxLength: { lists: 0, entries: 0 },
            }
          : null,
    };
  }

  entry(key: string, entry: string, result: EntryResult): void {
    const report = this.report;
    report.entries++;
    report[result.status]++;
    if (result.reason !== undefined)
      report.reasons[result.reason] = (report.reasons[result.reason] ?? 0) + 1;
    for (const finding of result.findings) {
      const counts = (report.findings[finding] ??= emptyCounts());
      counts.entries++;
      counts[result.status]++;
    }
    if (
      result.status !== 'read' &&
      report.examples.filter((example) => example.status === result.status).length < 3
    ) {
      report.examples.push({
        key,
        entry: truncate(entry),
        status: result.status,
        ...(result.reason === undefined ? {} : { reason: result.reason }),
        ...(result.rewrittenAs === undefined ? {} : { rewrittenAs: truncate(result.rewrittenAs) }),
      });
    }
  }

  missing(id: string): void {
    const missing = this.report.missingActivities;
    missing.references++;
    if (missing.examples.length < 5 && !missing.examples.includes(id)) missing.examples.push(id);
  }

  length(maxLength: number, length: number): void {
    const trimming = (this.report.trimming ??= { maxLength, keys: 0, entries: 0 });
    if (length > maxLength) {
      trimming.keys++;
      trimming.entries += length - maxLength;
    }
  }
}

const FINDINGS: Record<string, string> = {
  'extra-context-datetime': 'Python datetime/date/time in extra_context',
  'extra-context-set': 'Python set/frozenset in extra_context',
  'extra-context-int-keyed-dict': 'dict with int keys in extra_context',
  'extra-context-big-int': 'int beyond 2^53 in extra_context',
  'big-id': 'actor/object/target id beyond 2^53',
  'microsecond-date': 'aggregated date with microseconds',
};

function describeFinding(name: string): string {
  if (name.startsWith('extra-context-object:'))
    return `Python object ${name.slice('extra-context-object:'.length)} in extra_context`;
  return FINDINGS[name] ?? name;
}

function statusText(counts: StatusCounts): string {
  const parts: string[] = [];
  if (counts.read) parts.push(`read as stored: ${counts.read}`);
  if (counts.rewritten)
    parts.push(`read, rewritten differently on the next write: ${counts.rewritten}`);
  if (counts.unwritable) parts.push(`read, but a write back is refused: ${counts.unwritable}`);
  if (counts.undecodable) parts.push(`UNDECODABLE (skipped, lost): ${counts.undecodable}`);
  return parts.join('; ');
}

/** The report as text, one block per pattern. */
export function formatReport(report: MigrationReport): string {
  const lines = [
    `sf-redis-migration-check: ${report.keys} keys scanned (match ${JSON.stringify(report.match)}, format '${report.format}')`,
    '',
  ];
  for (const p of report.patterns) {
    lines.push(`${p.pattern}  [${p.kind}, ${p.type}]  ${p.keys} keys, ${p.entries} entries`);
    if (p.kind === 'other') lines.push('  not read by this library (left as it is)');
    if (p.entries > 0 && p.kind !== 'markers') lines.push(`  ${statusText(p)}`);
    for (const [reason, count] of Object.entries(p.reasons))
      lines.push(`  reason (${count}): ${reason}`);
    if (p.hint) lines.push(`  hint: ${p.hint}`);
    for (const [name, counts] of Object.entries(p.findings))
      lines.push(`  ${describeFinding(name)}: ${counts.entries} entries (${statusText(counts)})`);
    for (const example of p.examples.filter((e) => e.rewrittenAs !== undefined).slice(0, 1)) {
      lines.push(
        `  e.g. ${JSON.stringify(example.entry)}`,
        `    rewritten as ${JSON.stringify(example.rewrittenAs)}`,
      );
    }
    if (p.missingActivities.references > 0) {
      lines.push(
        `  activities referenced but missing from the activity hashes (skipped on reads, as in Python): ${p.missingActivities.references}, e.g. ${p.missingActivities.examples.join(', ')}`,
      );
    }
    if (p.trimming && p.trimming.keys > 0) {
      lines.push(
        `  ${p.trimming.keys} feeds longer than maxLength ${p.trimming.maxLength}: ${p.trimming.entries} oldest entries trimmed on the next write`,
      );
    }
    if (p.wrongShard > 0)
      lines.push(`  ${p.wrongShard} activities in another shard than this library reads (LOST)`);
    if (p.markers) {
      const m = p.markers;
      lines.push(
        `  ${m.lists} marker lists; ${m.pythonOrder} in Python's order (newest first per write): this library appends newest last, counts and seen/read state unchanged`,
      );
      if (m.duplicates)
        lines.push(`  ${m.duplicates} lists with repeated ids: collapsed on the next update`);
      if (m.notIds)
        lines.push(`  ${m.notIds} entries that are no aggregated id: never match a notification`);
      if (m.overMaxLength.lists)
        lines.push(
          `  ${m.overMaxLength.lists} lists over markersMaxLength: ${m.overMaxLength.entries} oldest ids dropped on the next update`,
        );
    }
    lines.push('');
  }
  lines.push(
    report.ok
      ? 'OK: nothing would be lost.'
      : `NOT OK: ${report.lost} entries would be lost (see UNDECODABLE / LOST above).`,
  );
  return lines.join('\n');
}
