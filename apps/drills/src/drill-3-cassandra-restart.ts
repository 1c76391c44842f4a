/**
 * Drill 3: Cassandra node restart mid-fanout.
 *
 * Feeds (flat and aggregated) on a single Cassandra node of the drill's own (SF_DRILL_CASSANDRA,
 * default 127.0.0.1:9142, started by scripts/drill.sh with scripts/cassandra.sh), the BullMQ
 * queue on Redis (REDIS_URL). A producer publishes 8 activities of 2 authors (1,500 and 500
 * followers: 8,000 writes per feed type) while 2 workers fan them out; once a quarter of the jobs
 * are done the drill kills the Cassandra JVM with SIGKILL, waits, and starts it again
 * (commit log replay). Jobs that fail meanwhile are retried (fixed 1 s backoff, up to 300
 * attempts); at the end every feed is compared with the ledger.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { GraphSpec } from './drills/graph.js';
import { drillTable, finishDrill, takeOutcome } from './drills/report.js';
import type { DrillResult, Figure } from './drills/report.js';
import { runFanoutDrill } from './drills/run-fanout.js';
import type { FanoutDrillOptions, FanoutRun } from './drills/run-fanout.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/cassandra.sh', import.meta.url));

export const graph: GraphSpec = {
  users: 2000,
  authors: [1500, 500].map((followers, i) => ({ id: i + 1, followers, activities: 4 })),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cassandraEnv(port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CASSANDRA_PORT: String(port),
    CASSANDRA_STORAGE_PORT: process.env.SF_DRILL_CASSANDRA_STORAGE_PORT || String(port - 2032),
    CASSANDRA_SSL_STORAGE_PORT:
      process.env.SF_DRILL_CASSANDRA_SSL_STORAGE_PORT || String(port - 2031),
    // The script's default (true) keeps schema changes out of the commit log: a killed node would
    // forget the drill's tables. A real node logs them.
    CASSANDRA_UNSAFE_SYSTEM: 'false',
  };
}

async function status(port: number): Promise<boolean> {
  return run('bash', [script, 'status'], { env: cassandraEnv(port), timeout: 30_000 }).then(
    () => true,
    () => false,
  );
}

/** The fanout of the Cassandra drills: flat and aggregated feeds, retried every second for 5 min. */
export function cassandraDrillConfig(
  label: string,
  contactPoints: string,
  replicationFactor: number,
): FanoutDrillOptions['config'] {
  return {
    storage: 'cassandra',
    feedsUrl: '',
    clusterNodes: '',
    cassandraContactPoints: contactPoints,
    cassandraReplicationFactor: replicationFactor,
    keyspace: `sf_${label}_${Date.now().toString(36)}`,
    queueUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    feeds: ['flat', 'aggregated'],
    graph,
    chunkSize: 100,
    attempts: 300,
    backoffMs: 1000,
  };
}

/** Waits until a quarter of the fanout's jobs are done (at most 4 minutes): when the fault strikes. */
export async function untilQuarterDone(fanout: FanoutRun): Promise<void> {
  const until = Date.now() + 240_000;
  while (fanout.completed() < fanout.expectedTasks / 4 && Date.now() < until) await sleep(100);
}

export async function runDrill3(
  log: (message: string) => void = console.log,
): Promise<DrillResult> {
  const started = Date.now();
  const contact = process.env.SF_DRILL_CASSANDRA || '127.0.0.1:9142';
  const port = Number(contact.split(':')[1] ?? 9042);
  const env = cassandraEnv(port);
  const nodeDir =
    process.env.SF_CASSANDRA_NODE_DIR ||
    join(process.env.SF_CASSANDRA_HOME || join(homedir(), '.cache/sf-cassandra'), `node-${port}`);
  const result: DrillResult = {
    id: 'drill-3',
    title: 'Cassandra node killed (SIGKILL) and restarted mid-fanout',
    ok: false,
    figures: [],
    failures: [],
    notes: [],
    durationMs: 0,
  };
  let pid = 0;
  try {
    pid = Number(readFileSync(join(nodeDir, 'cassandra.pid'), 'utf8').replace(/[^0-9]/g, ''));
  } catch {
    // not started by scripts/cassandra.sh
  }
  if (!pid || !(await status(port))) {
    result.skipped = `needs a Cassandra node started by scripts/cassandra.sh on port ${port} (scripts/drill.sh starts one)`;
    result.durationMs = Date.now() - started;
    return result;
  }

  const outcome = await runFanoutDrill({
    label: 'drill3',
    log,
    workers: 2,
    paceMs: 200,
    timeoutMs: 480_000,
    config: cassandraDrillConfig('drill3', contact, 1),
    fault: async (fanout) => {
      const figures: Figure[] = [];
      const failures: string[] = [];
      await untilQuarterDone(fanout);
      log(
        `killing Cassandra (pid ${pid}) with SIGKILL: ${fanout.completed()} of ~${fanout.expectedTasks} jobs done, ${fanout.published()} activities published`,
      );
      figures.push(['jobs done when Cassandra was killed', fanout.completed()]);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      // Down for a while, so that jobs fail and are retried.
      await sleep(5000);
      const doneWhileDown = fanout.completed();
      log('starting Cassandra again');
      try {
        await run('bash', [script, 'start'], { env, timeout: 300_000 });
      } catch (error) {
        failures.push(`Cassandra did not start again: ${String(error).slice(0, 300)}`);
      }
      const downMs = Date.now() - killedAt;
      log(`Cassandra answers again after ${downMs} ms`);
      figures.push(
        ['Cassandra down (kill to CQL answering)', `${(downMs / 1000).toFixed(1)} s`],
        ['jobs done 5 s after the kill', doneWhileDown],
      );
      return { figures, failures, notes: [] };
    },
  });
  takeOutcome(result, outcome);
  return finishDrill(result, started);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runDrill3();
  console.log(drillTable(result));
  process.exitCode = result.ok || result.skipped ? 0 : 1;
}
