/**
 * `pnpm drill`: runs the fault drills one after another, each bounded in time, prints each one's
 * figures and a summary, and exits non-zero if any invariant failed. Services are expected to be
 * up (scripts/drill.sh starts and stops them); a drill whose service is missing is SKIPPED, unless
 * SF_DRILL_REQUIRE_ALL=1.
 *
 *   node --conditions=@sf/source --import tsx src/drill.ts [drill-1] [drill-2] [drill-3] [drill-4] [drill-5]
 *
 * SF_DRILL_RESULTS=<file> also writes the results as JSON. SF_DRILL_QUEUE=postgres runs drill 2
 * with its queue on PostgreSQL (SF_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test).
 */
import { writeFileSync } from 'node:fs';
import { runDrill1 } from './drill-1-cluster-failover.js';
import { runDrill2 } from './drill-2-worker-crash.js';
import { runDrill3 } from './drill-3-cassandra-restart.js';
import { runDrill4 } from './drill-4-postgres-restart.js';
import { runDrill5 } from './drill-5-cassandra-cluster-node.js';
import { drillTable, summaryTable } from './drills/report.js';
import type { DrillResult } from './drills/report.js';

const drills: Record<string, (log: (message: string) => void) => Promise<DrillResult>> = {
  'drill-1': (log) => runDrill1(log),
  'drill-2': (log) => runDrill2({ log }),
  'drill-3': (log) => runDrill3(log),
  'drill-4': (log) => runDrill4(log),
  'drill-5': (log) => runDrill5(log),
};

const selected = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
for (const name of selected) {
  if (!drills[name]) {
    console.error(`unknown drill ${name}; choose from ${Object.keys(drills).join(', ')}`);
    process.exit(2);
  }
}
const names = selected.length > 0 ? selected : Object.keys(drills);
const results: DrillResult[] = [];
for (const name of names) {
  const started = Date.now();
  const log = (message: string) =>
    console.log(`[${name} +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
  console.log(`\n=== ${name}`);
  let result: DrillResult;
  try {
    result = await drills[name]!(log);
  } catch (error) {
    result = {
      id: name,
      title: 'crashed',
      ok: false,
      figures: [],
      failures: [
        `the drill itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ],
      notes: [],
      durationMs: Date.now() - started,
    };
  }
  results.push(result);
  console.log(drillTable(result));
}

console.log('\n=== summary');
console.log(summaryTable(results));
if (process.env.SF_DRILL_RESULTS) {
  writeFileSync(
    process.env.SF_DRILL_RESULTS,
    `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`,
  );
}
if (process.env.SF_DRILL_DEBUG === '1')
  console.log('still open:', process.getActiveResourcesInfo().join(', '));
const requireAll = process.env.SF_DRILL_REQUIRE_ALL === '1';
const failed = results.filter((r) => (r.skipped ? requireAll : !r.ok));
if (failed.length > 0) {
  console.log(`\n${failed.length} drill(s) failed: ${failed.map((r) => r.id).join(', ')}`);
  process.exitCode = 1;
} else {
  console.log(`\nall drills passed${results.some((r) => r.skipped) ? ' (some skipped)' : ''}`);
}
// Every drill closed what it opened; exit anyway, so that a client a library left open (a driver's
// reconnection timer...) cannot keep `pnpm drill` waiting.
process.exit();
