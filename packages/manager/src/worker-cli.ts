#!/usr/bin/env node
/**
 * `sf-fanout-worker`: runs a BullMQ fanout worker configured from environment variables (see
 * `startWorkerFromEnv` in worker-env.ts and the README). Prints one JSON line per event
 * (`ready`, `failures`, `stopping`, `stopped`). SIGTERM and SIGINT stop taking jobs, wait for the
 * running ones and exit 0; a second signal exits at once.
 *
 * Failed job attempts are summarised, not logged one by one: the first failure of each kind goes
 * to stderr at once, and a `{"event":"failures","total",...,"kinds":[...]}` line (cumulative:
 * count, first and last time per kind of error) is printed every SF_FAILURE_SUMMARY_MS (default
 * 10000; 0 = only at exit) when there were new failures, and once more when the worker stops.
 */
import { startWorkerFromEnv } from './worker-env.js';
import type { RunningWorker } from './worker-env.js';

function log(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ event, pid: process.pid, ...fields }));
}

async function main(): Promise<void> {
  let running: RunningWorker;
  try {
    running = await startWorkerFromEnv();
  } catch (error) {
    console.error('sf-fanout-worker:', error instanceof Error ? error.message : error);
    process.exit(1);
  }
  log('ready', { priorities: running.worker.priorities });
  let reported = 0;
  const reportFailures = (always: boolean) => {
    if (!always && running.failures.total === reported) return;
    reported = running.failures.total;
    log('failures', { ...running.failures.snapshot() });
  };
  const every = Number(process.env.SF_FAILURE_SUMMARY_MS || 10_000);
  const timer =
    Number.isFinite(every) && every > 0
      ? setInterval(() => reportFailures(false), every)
      : undefined;
  timer?.unref();
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log('forced-exit', { signal });
      process.exit(1);
    }
    log('stopping', { signal });
    running.stop().then(
      () => {
        clearInterval(timer);
        reportFailures(true);
        log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        clearInterval(timer);
        reportFailures(true);
        console.error('sf-fanout-worker: error while stopping:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
