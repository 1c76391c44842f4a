/**
 * Child processes for multi-process tests and drills: run a TypeScript file in its own Node
 * process (workspace sources through tsx), read its JSON-line output, start `sf-fanout-worker`
 * processes on an app module, and stop them. The manager's integration tests, its benchmark and
 * the drills all use this one copy.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FailureSnapshot } from '../failure-log.js';

/** The `sf-fanout-worker` CLI, from source (found through the package, also from `dist`). */
export const workerCli = join(
  dirname(createRequire(import.meta.url).resolve('@sf/manager/package.json')),
  'src/worker-cli.ts',
);

export interface Child {
  /** Names the child in errors and log files. */
  name: string;
  process: ChildProcess;
  /** Its stdout, line by line (empty lines left out). */
  lines: string[];
  /** Its stderr, in chunks (the oldest dropped beyond 2000). */
  stderr: string[];
  /** Resolves with the first stdout line that matches; rejects if the child exits or time runs out. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** Names the child (default `child`). */
  name?: string;
  /** Working directory (default this process's); tsx is resolved from there. */
  cwd?: string;
  /** Also write the child's stdout and stderr to `<logDir>/<name>.out` and `.err`. */
  logDir?: string;
  /** `waitForLine`'s default timeout (ms, default 60 000). */
  lineTimeoutMs?: number;
}

/** Runs a TypeScript file in a child Node process with `env` added to this process's. */
export function spawnNode(
  file: string,
  env: Record<string, string>,
  options: SpawnOptions = {},
): Child {
  const name = options.name ?? 'child';
  const child = spawn(process.execPath, ['--conditions=@sf/source', '--import', 'tsx', file], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    child.stdout.pipe(createWriteStream(join(options.logDir, `${name}.out`)));
    child.stderr.pipe(createWriteStream(join(options.logDir, `${name}.err`)));
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
  const waitForLine = (
    match: (line: string) => boolean,
    timeoutMs = options.lineTimeoutMs ?? 60_000,
  ) =>
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
              `${name} exited (${child.exitCode ?? child.signalCode}) before the line; stderr: ${stderr.join('').slice(-2000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${name}: timed out waiting for a line; stdout: ${lines.join('\n').slice(-1000)} stderr: ${stderr.join('').slice(-2000)}`,
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

export interface WorkerProcessOptions extends SpawnOptions {
  /** The module the worker builds its manager from (`SF_MANAGER_MODULE`). */
  managerModule: string;
  /** More environment: the app's settings, `REDIS_URL`, `SF_QUEUE_PREFIX`, `SF_PRIORITIES`, ... */
  env?: Record<string, string>;
  /** Jobs at once per queue (default 4). */
  concurrency?: number;
  /** `SF_MAX_STALLED_COUNT` (default 5). */
  maxStalledCount?: number;
  /** How long to wait for the worker's `ready` line (ms, default 60 000). */
  readyTimeoutMs?: number;
}

/**
 * Starts `sf-fanout-worker` on an app module; resolves when it takes jobs. Locks are short, so a
 * killed worker's jobs are back in the queue within about 4 s (see the README).
 */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<Child> {
  const child = spawnNode(
    workerCli,
    {
      SF_LOCK_DURATION: '3000',
      SF_STALLED_INTERVAL: '1000',
      SF_MAX_STALLED_COUNT: String(options.maxStalledCount ?? 5),
      ...options.env,
      SF_MANAGER_MODULE: options.managerModule,
      SF_CONCURRENCY: String(options.concurrency ?? 4),
      ...(options.name ? { SF_WORKER_NAME: options.name } : {}),
    },
    options,
  );
  await child.waitForLine(
    (line) => line.includes('"event":"ready"'),
    options.readyTimeoutMs ?? 60_000,
  );
  return child;
}

/** Stops a child with SIGTERM (graceful) and waits for it; SIGKILL after `graceMs`. */
export async function stop(child: Child | undefined, graceMs = 20_000): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/**
 * The last summary of failed job attempts a worker printed (`{"event":"failures",...}`,
 * cumulative; printed every `SF_FAILURE_SUMMARY_MS` while failures happen and once when the
 * worker stops). A worker killed with SIGKILL leaves its last periodic one.
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
