/**
 * Drill 2: worker crash and restart, on single-node Redis.
 *
 * Feeds (flat and aggregated) and the BullMQ queue on one Redis (REDIS_URL, default 6379, their
 * own prefixes); with `queue: 'postgres'` (SF_DRILL_QUEUE=postgres) the queue is on PostgreSQL
 * instead (BullMQ's PostgreSQL backend at SF_POSTGRES_URL, a schema of its own, dropped after). A producer publishes 12 activities of 3 authors (6,000 / 3,000 / 1,500
 * followers: 42,000 writes per feed type, 84,000 in all) while 2 worker processes fan them out.
 * Once a third of the jobs are done, one worker is killed with SIGKILL (its running jobs stay
 * "active" with an expiring lock, and aggregated feeds it was writing stay locked until their lock
 * expires) and a new worker process is started. The survivors find the dead worker's jobs
 * stalled and run them again. At the end every flat and aggregated feed is compared with the
 * ledger: every activity exactly once.
 */
import type { GraphSpec } from './drills/graph.js';
import { startWorker } from './drills/processes.js';
import { drillTable, finishDrill, takeOutcome } from './drills/report.js';
import type { DrillResult, Figure } from './drills/report.js';
import { runFanoutDrill } from './drills/run-fanout.js';
import { DEFAULT_POSTGRES_URL, envOf } from './drills/app.js';
import type { QueueKind } from './drills/app.js';

export function drill2Graph(scale = 1): GraphSpec {
  return {
    users: Math.round(6000 * scale),
    authors: [6000, 3000, 1500].map((followers, i) => ({
      id: i + 1,
      followers: Math.round(followers * scale),
      activities: 4,
    })),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDrill2(
  options: { scale?: number; log?: (message: string) => void; queue?: QueueKind } = {},
): Promise<DrillResult> {
  const started = Date.now();
  const log = options.log ?? console.log;
  const queueUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const queueBackend =
    options.queue ?? (process.env.SF_DRILL_QUEUE === 'postgres' ? 'postgres' : 'redis');
  const result: DrillResult = {
    id: 'drill-2',
    title:
      queueBackend === 'postgres'
        ? 'worker killed with SIGKILL mid-fanout, new worker started (feeds on Redis, queue on PostgreSQL)'
        : 'worker killed with SIGKILL mid-fanout, new worker started (single Redis)',
    ok: false,
    figures: [],
    failures: [],
    notes: [],
    durationMs: 0,
  };
  const outcome = await runFanoutDrill({
    label: 'drill2',
    log,
    workers: 2,
    paceMs: 100,
    timeoutMs: 240_000,
    config: {
      storage: 'redis',
      feedsUrl: process.env.SF_DRILL_FEEDS_URL || queueUrl,
      clusterNodes: '',
      cassandraContactPoints: '',
      keyspace: '',
      queueBackend,
      queueUrl,
      queuePostgresUrl: process.env.SF_POSTGRES_URL || DEFAULT_POSTGRES_URL,
      feeds: ['flat', 'aggregated'],
      graph: drill2Graph(options.scale),
      chunkSize: 100,
      attempts: 30,
      backoffMs: 500,
    },
    fault: async (fanout) => {
      const figures: Figure[] = [];
      const failures: string[] = [];
      const until = Date.now() + 120_000;
      while (fanout.completed() < fanout.expectedTasks / 3 && Date.now() < until) await sleep(50);
      const victim = fanout.workers[0]!;
      log(
        `killing ${victim.name} (pid ${victim.process.pid}) with SIGKILL: ${fanout.completed()} of ~${fanout.expectedTasks} jobs done`,
      );
      figures.push(['jobs done when the worker was killed', fanout.completed()]);
      const killedAt = Date.now();
      victim.process.kill('SIGKILL');
      const exit = await victim.exited;
      if (exit.signal !== 'SIGKILL')
        failures.push(`the worker was not killed by SIGKILL (${JSON.stringify(exit)})`);
      const replacement = await startWorker({ name: 'drill2-worker-3', env: envOf(fanout.config) });
      fanout.workers.push(replacement);
      figures.push(
        ['worker killed (SIGKILL)', `${victim.name}, pid ${victim.process.pid}`],
        ['new worker ready after', `${((Date.now() - killedAt) / 1000).toFixed(1)} s`],
      );
      log(`new worker ${replacement.name} ready after ${Date.now() - killedAt} ms`);
      return { figures, failures, notes: [] };
    },
  });
  takeOutcome(result, outcome);
  if (outcome.jobs.stalled === 0)
    result.notes.push(
      'no job was running in the killed worker when it died (no stalled job to recover this time)',
    );
  return finishDrill(result, started);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runDrill2();
  console.log(drillTable(result));
  process.exitCode = result.ok ? 0 : 1;
}
