/**
 * The small figures every bench prints: sizes from the environment, percentiles, a median and a
 * Markdown table. Plain functions (no vitest, no timers): benches run under node + tsx.
 */

/** A size read from the environment (`SF_BENCH_FEEDS=50`), or the fallback when it is unset. */
export function envNumber(name: string, fallback: number): number {
  return Number(process.env[name] ?? fallback);
}

/**
 * The value at percentile `p` (0 to 100) of an ascending list: the entry at
 * floor(length x p / 100), the last one for p = 100; NaN for an empty list.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** The median of a list in any order (the upper one of an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * Prints a Markdown table: the first column left-aligned, the others right-aligned (figures),
 * each as wide as its widest cell.
 */
export function printTable(headers: readonly string[], body: readonly (readonly string[])[]): void {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...body.map((row) => row[i]!.length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(headers));
  console.log(
    `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
  );
  for (const row of body) console.log(line(row));
}
