/**
 * Drill 4: PostgreSQL stopped hard mid-fanout, with the feeds AND the queue on it.
 *
 * Flat and aggregated feeds (`@sf/storage-postgres`) and the BullMQ queue (BullMQ's PostgreSQL
 * backend) in one PostgreSQL: the drill's own private cluster (SF_DRILL_POSTGRES, default
 * postgres://postgres@127.0.0.1:54349/test, started by scripts/drill.sh with
 * scripts/postgres.sh). A producer publishes 8 activities of 2 authors (1,500 and 500 followers:
 * 8,000 writes per feed type) while 2 worker processes fan them out; once a quarter of the jobs
 * are done the drill stops the server with `pg_ctl stop -m immediate` (no checkpoint: WAL
 * replay on start), keeps it down 5 s and starts it again with `scripts/postgres.sh start`.
 * Jobs that fail meanwhile are retried (fixed 1 s backoff, up to 300 attempts); at the end every
 * feed is compared with the ledger.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { GraphSpec } from './drills/graph.js';
import { drillTable, finishDrill, takeOutcome } from './drills/report.js';
import type { DrillResult, Figure } from './drills/report.js';
import { runFanoutDrill } from './drills/run-fanout.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/postgres.sh', import.meta.url));

export const graph: GraphSpec = {
  users: 2000,
  authors: [1500, 500].map((followers, i) => ({ id: i + 1, followers, activities: 4 })),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The drill's server: its URL, port, and the environment that makes postgres.sh manage it. */
export function drillPostgres(env: NodeJS.ProcessEnv = process.env) {
  const url = env.SF_DRILL_POSTGRES || 'postgres://postgres@127.0.0.1:54349/test';
  const port = Number(/:(\d+)\//.exec(url)?.[1] ?? 54349);
  const dir =
    env.SF_DRILL_POSTGRES_DIR || join(env.TMPDIR || tmpdir(), `sf-drill-postgres-${port}`);
  return {
    url,
    port,
    dir,
    env: {
      ...env,
      SF_POSTGRES_URL: url,
      SF_POSTGRES_PORT: String(port),
      SF_POSTGRES_DIR: dir,
    } as NodeJS.ProcessEnv,
  };
}

/** pg_ctl as postgres.sh finds it: on PATH, else Debian's newest /usr/lib/postgresql/<v>/bin. */
function pgCtl(): string {
  const versions = (() => {
    try {
      return readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    } catch {
      return [];
    }
  })();
  return versions.length > 0 ? `/usr/lib/postgresql/${versions[0]}/bin/pg_ctl` : 'pg_ctl';
}

/** `pg_ctl stop -m immediate` on the drill's cluster, as its OS owner when this runs as root. */
async function stopImmediate(dataDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const command = [pgCtl(), '-D', dataDir, '-m', 'immediate', '-w', 'stop'];
  const owner = env.SF_POSTGRES_OS_USER || 'postgres';
  const [file, ...args] =
    process.getuid?.() === 0 ? ['runuser', '-u', owner, '--', ...command] : command;
  await run(file!, args, { env, timeout: 60_000 });
}

export async function runDrill4(
  log: (message: string) => void = console.log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DrillResult> {
  const started = Date.now();
  const server = drillPostgres(env);
  const dataDir = join(server.dir, 'data');
  const result: DrillResult = {
    id: 'drill-4',
    title: 'PostgreSQL (feeds and queue) stopped with pg_ctl -m immediate and restarted mid-fanout',
    ok: false,
    figures: [],
    failures: [],
    notes: [],
    durationMs: 0,
  };
  let pid = 0;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    readFileSync(join(server.dir, 'started-by-sf-postgres-sh'));
  } catch {
    pid = 0;
  }
  if (!pid) {
    result.skipped = `needs a private PostgreSQL cluster started by scripts/postgres.sh at ${server.url} (data in ${dataDir}; scripts/drill.sh starts one)`;
    result.durationMs = Date.now() - started;
    return result;
  }

  const outcome = await runFanoutDrill({
    label: 'drill4',
    log,
    workers: 2,
    paceMs: 200,
    timeoutMs: 420_000,
    config: {
      storage: 'postgres',
      feedsUrl: server.url,
      clusterNodes: '',
      cassandraContactPoints: '',
      keyspace: `sf_drill4_${Date.now().toString(36)}`,
      queueBackend: 'postgres',
      queueUrl: '',
      queuePostgresUrl: server.url,
      feeds: ['flat', 'aggregated'],
      graph,
      chunkSize: 100,
      attempts: 300,
      backoffMs: 1000,
    },
    fault: async (fanout) => {
      const figures: Figure[] = [];
      const failures: string[] = [];
      const until = Date.now() + 240_000;
      while (fanout.completed() < fanout.expectedTasks / 4 && Date.now() < until) await sleep(100);
      log(
        `stopping PostgreSQL (pg_ctl stop -m immediate): ${fanout.completed()} of ~${fanout.expectedTasks} jobs done, ${fanout.published()} activities published`,
      );
      const stoppedAt = Date.now();
      try {
        await stopImmediate(dataDir, server.env);
      } catch (error) {
        failures.push(`pg_ctl stop -m immediate failed: ${String(error).slice(0, 300)}`);
      }
      // No job completes while the server is down: the last count polled is the count at the stop.
      await sleep(500);
      const atStop = fanout.completed();
      figures.push(['jobs done when PostgreSQL was stopped', atStop]);
      // Down for a while, so that jobs, publishes and the workers' connections fail.
      await sleep(5000);
      log('starting PostgreSQL again (crash recovery: WAL replay)');
      try {
        await run('bash', [script, 'start'], { env: server.env, timeout: 120_000 });
      } catch (error) {
        failures.push(`PostgreSQL did not start again: ${String(error).slice(0, 300)}`);
      }
      const answering = Date.now();
      const downMs = answering - stoppedAt;
      log(`PostgreSQL answers again after ${downMs} ms`);
      // Recovered: a job completes after the server answers. The first count polled after that
      // moment is the base (the count before the stop may be older than the stop).
      while (fanout.polledAt() <= answering && Date.now() < until) await sleep(20);
      const base = fanout.completed();
      while (fanout.completed() <= base && Date.now() < until) await sleep(20);
      const recoverMs = Date.now() - answering;
      log(`jobs complete again ${recoverMs} ms after PostgreSQL answered`);
      figures.push(
        ['PostgreSQL down (stop to answering again)', `${(downMs / 1000).toFixed(1)} s`],
        [
          'time to recover (answering to a job completed after it; 0.2 s polls)',
          `${(recoverMs / 1000).toFixed(1)} s`,
        ],
      );
      return { figures, failures, notes: [] };
    },
  });
  takeOutcome(result, outcome);
  return finishDrill(result, started);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runDrill4();
  console.log(drillTable(result));
  process.exitCode = result.ok || result.skipped ? 0 : 1;
}
