/**
 * The part every fanout drill shares: start workers and the producer, let a fault happen while
 * they run, wait for the queue to drain, and compare every feed with the ledger.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, deleteFeedData, deleteQueueData, envOf } from './app.js';
import type { ClientSummary, DrillApp, DrillAppConfig } from './app.js';
import { FOLLOWER_BASE, expectedWrites, plannedActivities } from './graph.js';
import { mergeFailureSnapshots } from '@sf/manager/bullmq';
import type { FailureSnapshot } from '@sf/manager/bullmq';
import {
  failedAttemptsLogged,
  failureSnapshot,
  producerScript,
  spawnNode,
  startWorker,
  stop,
} from './processes.js';
import type { Child } from './processes.js';
import type { Figure } from './report.js';
import {
  checkAggregatedFeeds,
  checkFlatFeeds,
  checkUserFeeds,
  emptyCheck,
  jobFigures,
  readLedger,
  storedActivities,
  waitForQueues,
} from './verify.js';
import type { FeedCheck, JobFigures } from './verify.js';

export interface FanoutRun {
  app: DrillApp;
  config: DrillAppConfig;
  workers: Child[];
  producer: Child;
  /** When the drill started (ms since the epoch); report times count from here. */
  started: number;
  /** Jobs completed so far (polled). */
  completed(): number;
  /** When the last poll of that count succeeded (ms since the epoch; 0 before the first). */
  polledAt(): number;
  published(): number;
  expectedTasks: number;
}

export interface FanoutDrillOptions {
  label: string;
  config: Omit<DrillAppConfig, 'keyPrefix' | 'queuePrefix'>;
  workers: number;
  paceMs: number;
  /** Whole drill deadline (ms from start). */
  timeoutMs: number;
  /** Called once the run is going: injects the fault, returns figures to report. */
  fault(run: FanoutRun): Promise<{ figures: Figure[]; failures: string[]; notes: string[] }>;
  log: (message: string) => void;
}

export interface FanoutDrillOutcome {
  figures: Figure[];
  failures: string[];
  notes: string[];
  flat: FeedCheck;
  aggregated: FeedCheck | undefined;
  jobs: JobFigures;
  /** Failed job attempts of all workers, per kind of error, as report lines. */
  errors: string[];
  /** Each worker's Redis client at the end (what it reported when it stopped). */
  clients: Array<{ worker: string; summary: ClientSummary | undefined }>;
}

/** A worker's Redis client summary (the `redis-client-summary` line it printed when it stopped). */
export function clientSummary(child: Child): ClientSummary | undefined {
  const line = [...child.lines].reverse().find((l) => l.includes('"event":"redis-client-summary"'));
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line) as ClientSummary;
  } catch {
    return undefined;
  }
}

/** Report lines for failed job attempts: one per kind of error, with count and time span. */
export function failureLines(snapshot: FailureSnapshot, since: number): string[] {
  if (snapshot.total === 0) return ['no failed job attempt'];
  const at = (iso: string) => `${((Date.parse(iso) - since) / 1000).toFixed(1)} s`;
  const lines = [
    `${snapshot.total} failed job attempts in ${snapshot.kinds.length} kind(s) (times from the drill's start):`,
  ];
  for (const kind of snapshot.kinds)
    lines.push(
      `  ${kind.count} x ${kind.errorClass}: ${kind.message} [${at(kind.first)} to ${at(kind.last)}] e.g. ${kind.example}`,
    );
  if (snapshot.otherKinds > 0) lines.push(`  ${snapshot.otherKinds} x of further kinds`);
  return lines;
}

export async function runFanoutDrill(options: FanoutDrillOptions): Promise<FanoutDrillOutcome> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const id = randomBytes(4).toString('hex');
  const config: DrillAppConfig = {
    ...options.config,
    keyPrefix: `sf-drill:${options.label}:${id}:`,
    queuePrefix:
      options.config.queueBackend === 'postgres'
        ? `sf_drill_bull_${options.label.replace(/[^a-z0-9]+/g, '_')}_${id}`
        : `sf-drill-bull-${options.label}-${id}`,
  };
  const env = envOf(config);
  const dir = mkdtempSync(join(tmpdir(), `sf-${options.label}-`));
  const ledgerFile = join(dir, 'ledger.jsonl');
  const app = buildApp(config);
  const workers: Child[] = [];
  let producer: Child | undefined;
  const failures: string[] = [];
  const notes: string[] = [];
  const figures: Figure[] = [];
  const plan = plannedActivities(config.graph);
  const expectedTasks = config.graph.authors.reduce(
    (sum, author) =>
      sum +
      author.activities *
        Math.ceil(Math.min(author.followers, config.graph.users) / config.chunkSize) *
        config.feeds.length,
    0,
  );
  let completed = 0;
  let polledAt = 0;
  try {
    // Tables first, as a deployment creates them before it takes traffic.
    if (config.storage === 'cassandra')
      await (app.storage as unknown as { syncSchema(): Promise<string[]> }).syncSchema();
    if (config.storage === 'postgres')
      await (app.storage as unknown as { sync(): Promise<unknown> }).sync();
    options.log(`starting ${options.workers} workers`);
    for (let i = 0; i < options.workers; i++)
      workers.push(await startWorker({ name: `${options.label}-worker-${i + 1}`, env }));
    options.log(
      `producer: ${plan.length} activities, ${expectedWrites(config.graph) * config.feeds.length} feed writes, ~${expectedTasks} jobs`,
    );
    producer = spawnNode(`${options.label}-producer`, producerScript, {
      ...env,
      SF_DRILL_LEDGER: ledgerFile,
      SF_DRILL_PACE_MS: String(options.paceMs),
    });
    const run: FanoutRun = {
      app,
      config,
      workers,
      producer,
      started,
      expectedTasks,
      completed: () => completed,
      polledAt: () => polledAt,
      published: () => {
        const last = [...producer!.lines]
          .reverse()
          .find((line) => line.includes('"published"') || line.includes('"done"'));
        return last
          ? ((JSON.parse(last) as { count?: number; published?: number }).count ??
              (JSON.parse(last) as { published: number }).published)
          : 0;
      },
    };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        // A count that fails (the queue's server is down: drill 4) keeps the last one seen,
        // instead of reading as 0 jobs done.
        const counts = await Promise.all(
          ['HIGH', 'LOW'].map((p) =>
            app.queue
              .queue(p as 'HIGH')
              .getCompletedCount()
              .catch(() => undefined),
          ),
        );
        if (counts[0] !== undefined && counts[1] !== undefined) {
          completed = counts[0] + counts[1];
          polledAt = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const fault = await options.fault(run);
    figures.push(...fault.figures);
    failures.push(...fault.failures);
    notes.push(...fault.notes);

    let timer: NodeJS.Timeout | undefined;
    const producerExit = await Promise.race([
      producer.exited,
      new Promise<null>(
        (resolve) => (timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()))),
      ),
    ]);
    clearTimeout(timer);
    if (producerExit === null || producerExit.code !== 0) {
      failures.push(
        `producer did not finish cleanly (${producerExit ? `exit ${producerExit.code}` : 'timed out'}): ${producer.stderr.join('').slice(-500)}`,
      );
    }
    const done = producer.lines
      .map(
        (line) =>
          JSON.parse(line) as {
            event: string;
            published?: number;
            tasks?: number;
            publishRetries?: number;
          },
      )
      .find((e) => e.event === 'done');
    options.log('waiting for the queue to drain');
    const drained = await waitForQueues(app, deadline);
    polling = false;
    await poller;
    const fanoutDone = Date.now();
    if (!drained)
      failures.push(
        `the queue still had unfinished jobs after ${Math.round(options.timeoutMs / 1000)} s`,
      );

    for (const worker of workers) await stop(worker);
    const failedLogged = workers.reduce((sum, worker) => sum + failedAttemptsLogged(worker), 0);
    const errors = failureLines(
      mergeFailureSnapshots(
        workers.map((w) => failureSnapshot(w) ?? { total: 0, kinds: [], otherKinds: 0 }),
      ),
      started,
    );
    const clients = workers.map((worker) => ({
      worker: worker.name,
      summary: clientSummary(worker),
    }));

    options.log('verifying every feed against the ledger');
    const outcome = await verify({
      app,
      config,
      ledgerFile,
      planned: plan.length,
      publishRetries: done?.publishRetries,
      started,
      fanoutDone,
      failedLogged,
    });
    return {
      ...outcome,
      figures: [...outcome.figures, ...figures],
      failures: [...failures, ...outcome.failures],
      notes: [...notes, ...outcome.notes],
      errors,
      clients,
    };
  } finally {
    await stop(producer, 5000);
    for (const worker of workers) await stop(worker, 5000);
    if (process.env.SF_DRILL_KEEP !== '1') {
      await app.queue.obliterate().catch(() => undefined);
      await deleteFeedData(app).catch((error: unknown) =>
        options.log(`cleanup failed: ${String(error)}`),
      );
    }
    await app.close().catch(() => undefined);
    if (process.env.SF_DRILL_KEEP !== '1') await deleteQueueData(config).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compares every feed with the ledger; a read that fails is reported as a failure, not thrown. */
async function verify(input: {
  app: DrillApp;
  config: DrillAppConfig;
  ledgerFile: string;
  planned: number;
  publishRetries: number | undefined;
  started: number;
  fanoutDone: number;
  failedLogged: number;
}): Promise<Omit<FanoutDrillOutcome, 'errors' | 'clients'>> {
  const { app, config, ledgerFile, planned, publishRetries, started, fanoutDone, failedLogged } =
    input;
  const figures: Figure[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  const empty = emptyCheck();
  try {
    const ledger = readLedger(ledgerFile);
    const users = Array.from({ length: config.graph.users }, (_, i) => FOLLOWER_BASE + i);
    const flat = await checkFlatFeeds(app, ledger, users);
    const aggregated = app.feeds.aggregated
      ? await checkAggregatedFeeds(app, ledger, users)
      : undefined;
    const own = await checkUserFeeds(app, ledger);
    // Backends whose timelines hold whole activities keep no separate activity storage.
    const separate = !app.storage.capabilities.storesFullActivities;
    const stored = separate ? await storedActivities(app, ledger) : ledger.length;
    const jobs = await jobFigures(app);

    const writes = (check: FeedCheck | undefined, name: string): Figure[] =>
      check
        ? [
            [`${name} feed writes expected`, check.expected],
            [`${name} found`, check.found],
            [`${name} missing`, check.missing],
            [`${name} duplicated`, check.duplicated],
            [`${name} unexpected`, check.unexpected],
          ]
        : [];
    figures.push(
      ['activities published', ledger.length],
      ['publish retries (producer)', publishRetries ?? '?'],
      ['activities in activity storage', separate ? stored : 'n/a (feeds hold whole activities)'],
      ['follower feeds checked', flat.feeds],
      ...writes(flat, 'flat'),
      ...writes(aggregated, 'aggregated'),
      ['fanout jobs', jobs.jobs],
      ['jobs retried', jobs.retried],
      ['failed attempts (retried)', jobs.failedAttempts],
      ['stalled jobs recovered', jobs.stalled],
      ['jobs failed for good', jobs.failed],
      ['fanout time (publish start to drained)', `${((fanoutDone - started) / 1000).toFixed(1)} s`],
      [
        'feed writes per second',
        Math.round(
          ((flat.expected + (aggregated?.expected ?? 0)) / Math.max(1, fanoutDone - started)) *
            1000,
        ),
      ],
    );
    if (failedLogged !== jobs.failedAttempts)
      notes.push(
        `workers logged ${failedLogged} failed attempts (the surviving workers' logs; a killed worker's are lost)`,
      );

    if (ledger.length !== planned)
      failures.push(`published ${ledger.length} of ${planned} activities`);
    if (stored !== ledger.length)
      failures.push(`activity storage holds ${stored} of ${ledger.length} activities`);
    for (const [name, check] of [
      ['flat', flat],
      ['aggregated', aggregated],
      ['user', own],
    ] as const) {
      if (!check) continue;
      if (check.missing)
        failures.push(
          `${name} feeds: ${check.missing} writes missing (${check.examples.join('; ')})`,
        );
      if (check.duplicated)
        failures.push(
          `${name} feeds: ${check.duplicated} duplicated entries (${check.examples.join('; ')})`,
        );
      if (check.unexpected)
        failures.push(
          `${name} feeds: ${check.unexpected} unexpected entries (${check.examples.join('; ')})`,
        );
    }
    if (flat.expected !== expectedWrites(config.graph))
      failures.push(
        `the ledger expects ${flat.expected} flat writes, the plan ${expectedWrites(config.graph)}`,
      );
    if (jobs.failed) failures.push(`${jobs.failed} jobs failed for good`);
    return { figures, failures, notes, flat, aggregated, jobs };
  } catch (error) {
    failures.push(
      `verification could not read the feeds: ${error instanceof Error ? error.message : String(error)}`,
    );
    return {
      figures,
      failures,
      notes,
      flat: empty,
      aggregated: undefined,
      jobs: {
        jobs: 0,
        completed: 0,
        failed: 0,
        retried: 0,
        failedAttempts: 0,
        stalled: 0,
        pending: 0,
      },
    };
  }
}
