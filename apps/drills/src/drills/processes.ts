/** Child processes of the drills: worker processes (the real `sf-fanout-worker` CLI) and the producer. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FailureSnapshot } from '@sf/manager/bullmq';

const require = createRequire(import.meta.url);
/** The manager's worker CLI, from source. */
export const workerCli = join(
  dirname(require.resolve('@sf/manager/package.json')),
  'src/worker-cli.ts',
);
export const appModule = fileURLToPath(new URL('./app.ts', import.meta.url));
export const producerScript = fileURLToPath(new URL('./producer.ts', import.meta.url));
const appDir = fileURLToPath(new URL('../../', import.meta.url));

export interface Child {
  name: string;
  process: ChildProcess;
  lines: string[];
  stderr: string[];
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs a TypeScript file in a child Node process (workspace sources through tsx). With
 * SF_DRILL_LOG_DIR set, the child's stdout and stderr are also written to `<dir>/<name>.out` and
 * `<dir>/<name>.err` (e.g. with DEBUG=ioredis:cluster* to see a worker's client at work).
 */
export function spawnNode(name: string, file: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--conditions=@sf/source', '--import', 'tsx', file], {
    cwd: appDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logDir = process.env.SF_DRILL_LOG_DIR;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    child.stdout.pipe(createWriteStream(join(logDir, `${name}.out`)));
    child.stderr.pipe(createWriteStream(join(logDir, `${name}.err`)));
  }
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    buffer += data;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts.filter(Boolean));
    for (const waiter of waiters) waiter();
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => {
    stderr.push(data);
    if (stderr.length > 2000) stderr.splice(0, 1000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const waiter of waiters) waiter();
      resolve({ code, signal });
    }),
  );
  const waitForLine = (match: (line: string) => boolean, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find(match);
        if (line !== undefined) {
          cleanup();
          resolve(line);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          reject(
            new Error(
              `${name} exited (${child.exitCode ?? child.signalCode}) first; stderr: ${stderr.join('').slice(-2000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${name}: timed out waiting for a line; stderr: ${stderr.join('').slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { name, process: child, lines, stderr, waitForLine, exited };
}

export interface WorkerOptions {
  name: string;
  env: Record<string, string>;
  concurrency?: number;
}

/** Starts a fanout worker process on the drill app; resolves when it takes jobs. */
export async function startWorker(options: WorkerOptions): Promise<Child> {
  const child = spawnNode(options.name, workerCli, {
    ...options.env,
    SF_MANAGER_MODULE: appModule,
    SF_CONCURRENCY: String(options.concurrency ?? 4),
    SF_WORKER_NAME: options.name,
    // A dead worker's jobs are back in the queue within ~4 s.
    SF_LOCK_DURATION: '3000',
    SF_STALLED_INTERVAL: '1000',
    SF_MAX_STALLED_COUNT: '10',
    // Failure summaries every 2 s, so a worker killed mid-run leaves a recent one.
    SF_FAILURE_SUMMARY_MS: '2000',
    // The worker's Redis client reports its connection events and slot-map refreshes (app.ts).
    SF_DRILL_CLIENT_EVENTS: '1',
  });
  await child.waitForLine((line) => line.includes('"event":"ready"'), 120_000);
  return child;
}

/**
 * The last summary of failed job attempts a worker printed (`{"event":"failures",...}`, cumulative;
 * printed every few seconds while failures happen and once when the worker stops). A worker
 * killed with SIGKILL leaves its last periodic one.
 */
export function failureSnapshot(child: Child): FailureSnapshot | undefined {
  const line = [...child.lines].reverse().find((l) => l.includes('"event":"failures"'));
  if (line === undefined) return undefined;
  try {
    const { total, kinds, otherKinds } = JSON.parse(line) as FailureSnapshot;
    return { total, kinds, otherKinds };
  } catch {
    return undefined;
  }
}

/** Failed job attempts a worker reported (from its last failure summary). */
export function failedAttemptsLogged(child: Child): number {
  return failureSnapshot(child)?.total ?? 0;
}

/** Stops a child with SIGTERM (graceful), SIGKILL after a while. */
export async function stop(child: Child | undefined, graceMs = 20_000): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}
