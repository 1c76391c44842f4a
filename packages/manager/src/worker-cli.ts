#!/usr/bin/env node
/**
 * `sf-fanout-worker`: runs a BullMQ fanout worker configured from environment variables (see
 * `startWorkerFromEnv` in worker-env.ts and the README). Prints one JSON line per event
 * (`ready`, `stopping`, `stopped`). SIGTERM and SIGINT stop taking jobs, wait for the running
 * ones and exit 0; a second signal exits at once.
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
        log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('sf-fanout-worker: error while stopping:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
