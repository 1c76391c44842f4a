/** Drill results and the table `pnpm drill` prints. */

export type Figure = [label: string, value: string | number];

export interface DrillResult {
  /** `drill-1`, ... */
  id: string;
  title: string;
  ok: boolean;
  /** Skipped: the service it needs is not there (says why). */
  skipped?: string;
  figures: Figure[];
  /** Broken invariants (the drill fails when there is any). */
  failures: string[];
  notes: string[];
  /** Failed job attempts per kind of error, and other diagnostics (printed after the table). */
  errors?: string[];
  durationMs: number;
}

/** Copies what a fanout run found (its figures, broken invariants, notes, errors) into a drill's result. */
export function takeOutcome(
  result: DrillResult,
  outcome: Pick<DrillResult, 'figures' | 'failures' | 'notes' | 'errors'>,
): void {
  result.figures = outcome.figures;
  result.failures = outcome.failures;
  result.notes = outcome.notes;
  result.errors = outcome.errors;
}

/** Ends a drill: it passed when no invariant broke. */
export function finishDrill(result: DrillResult, startedAt: number): DrillResult {
  result.ok = result.failures.length === 0;
  result.durationMs = Date.now() - startedAt;
  return result;
}

export function formatNumber(value: string | number): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : value;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One drill's figures as a two-column table. */
export function drillTable(result: DrillResult): string {
  const status = result.skipped ? `SKIPPED (${result.skipped})` : result.ok ? 'PASS' : 'FAIL';
  const rows: Figure[] = [
    ...result.figures,
    ['duration', seconds(result.durationMs)],
    ['result', status],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => formatNumber(value).length));
  const line = `+${'-'.repeat(width + 2)}+${'-'.repeat(valueWidth + 2)}+`;
  const out = [`${result.id}: ${result.title}`, line];
  for (const [label, value] of rows)
    out.push(`| ${label.padEnd(width)} | ${formatNumber(value).padStart(valueWidth)} |`);
  out.push(line);
  for (const failure of result.failures) out.push(`  FAILED: ${failure}`);
  for (const note of result.notes) out.push(`  note: ${note}`);
  if (result.errors && result.errors.length > 0) {
    out.push('  worker failures:');
    for (const line of result.errors) out.push(`    ${line}`);
  }
  return out.join('\n');
}

/** One line per drill. */
export function summaryTable(results: readonly DrillResult[]): string {
  const rows = results.map((r) => [
    r.id,
    r.skipped ? 'SKIPPED' : r.ok ? 'PASS' : 'FAIL',
    seconds(r.durationMs),
    r.title,
  ]);
  const widths = [0, 1, 2].map((i) =>
    Math.max(...rows.map((row) => row[i]!.length), ['drill', 'result', 'time'][i]!.length),
  );
  const format = (row: string[]) =>
    `| ${row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join(' | ')}`;
  return [format(['drill', 'result', 'time', 'what']), ...rows.map(format)].join('\n');
}
