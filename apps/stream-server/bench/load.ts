/**
 * Load test: starts the stream server as a separate process on loopback, then fires requests
 * at it with autocannon from this process and prints requests per second and latencies for
 * inserts and filtered reads. Printed, not asserted.
 *
 *   node --conditions=@sf/source --import tsx bench/load.ts
 *
 * BENCH_STORAGE   memory,redis,postgres (default all three; redis uses REDIS_URL, default
 *                 redis://127.0.0.1:6379; postgres SF_POSTGRES_URL, default
 *                 postgres://postgres@127.0.0.1:5432/test, in a schema of its own, dropped after)
 * BENCH_DURATION  seconds per scenario (default 10)
 * BENCH_CONNECTIONS concurrent connections (default 50)
 * BENCH_WARMUP    seconds of unreported warm-up per scenario (default 2)
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { deleteKeysWithPrefix } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import pg from 'pg';

const appDir = fileURLToPath(new URL('..', import.meta.url));
type Storage = 'memory' | 'redis' | 'postgres';
const storages = (process.env.BENCH_STORAGE ?? 'memory,redis,postgres')
  .split(',')
  .map((s) => s.trim()) as Storage[];
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const postgresUrl = process.env.SF_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const apiKey = `bench-${randomBytes(8).toString('hex')}`;

const USERS = 1000;
const KINDS = ['create-repo', 'delete-repo', 'watch', 'friend', 'fork', 'star', 'comment', 'push'];
const rand = (n: number) => Math.floor(Math.random() * n);
const friendsQuery = () => Array.from({ length: 20 }, () => `user=${1 + rand(USERS)}`).join('&');

interface Scenario {
  name: string;
  request: () => { method: 'GET' | 'POST'; path: string; body?: string };
}

const scenarios: Scenario[] = [
  {
    name: 'insert (POST /items)',
    request: () => ({
      method: 'POST',
      path: '/items',
      body: JSON.stringify({
        kind: KINDS[rand(KINDS.length)],
        user: 1 + rand(USERS),
        repo: 1 + rand(5000),
        friend: rand(USERS),
        at: Date.now(),
      }),
    }),
  },
  {
    name: 'read, 1 key (?kind=K)',
    request: () => ({ method: 'GET', path: `/items?kind=${KINDS[rand(KINDS.length)]}` }),
  },
  {
    name: 'read, 20 users (union)',
    request: () => ({ method: 'GET', path: `/items?${friendsQuery()}` }),
  },
  {
    name: 'read, 20 users AND kind',
    request: () => ({ method: 'GET', path: `/items?kind=friend&${friendsQuery()}&start=0&end=20` }),
  },
];

async function startServer(
  storage: Storage,
  prefix: string,
): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'stream-server-bench-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      storage:
        storage === 'redis'
          ? { type: 'redis', url: redisUrl, keyPrefix: prefix }
          : storage === 'postgres'
            ? { type: 'postgres', url: postgresUrl, schema: schemaOf(prefix) }
            : { type: 'memory' },
      items: { keys: ['user', 'kind', 'repo'] },
      tenants: [{ id: 'bench', apiKeys: [{ key: apiKey, access: 'write' }] }],
    }),
  );
  const child = spawn(
    process.execPath,
    ['--conditions=@sf/source', '--import', 'tsx', 'src/main.ts', configPath],
    {
      cwd: appDir,
      env: { ...process.env, LOG_LEVEL: 'silent', PORT: '0', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`the server did not start in 30 s: ${output}`)),
      30_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
  });
  return { url, child, dir };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The PostgreSQL schema of a run: `sfbench_stream_<random>`. */
const schemaOf = (prefix: string) => `sfbench_stream_${prefix.split(':')[2]}`;

async function cleanup(storage: Storage, prefix: string): Promise<void> {
  if (storage === 'redis') {
    const redis = new Redis(redisUrl);
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  } else if (storage === 'postgres') {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schemaOf(prefix)}" CASCADE`);
    await client.end();
  }
}

interface Row {
  storage: string;
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
}

async function runScenario(
  url: string,
  scenario: Scenario,
  seconds = duration,
): Promise<Omit<Row, 'storage'>> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          const next = scenario.request();
          return {
            ...request,
            method: next.method,
            path: next.path,
            ...(next.body === undefined ? {} : { body: next.body }),
          };
        },
      },
    ],
  });
  return {
    scenario: scenario.name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  console.log(
    `stream-server load test: ${duration} s per scenario after ${warmup} s of warm-up, ${connections} connections, Node ${process.version}, ` +
      `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}`,
  );
  for (const storage of storages) {
    const prefix = `sfbench:stream-server:${randomBytes(4).toString('hex')}:`;
    const { url, child, dir } = await startServer(storage, prefix);
    console.log(`\n[${storage}] server pid ${child.pid} at ${url}`);
    try {
      // Warm-up (JIT, connection pools), not reported.
      for (const scenario of scenarios) await runScenario(url, scenario, warmup);
      for (const scenario of scenarios) {
        const row = { storage, ...(await runScenario(url, scenario)) };
        rows.push(row);
        console.log(
          `  ${row.scenario.padEnd(26)} ${String(row.rps).padStart(7)} req/s   p50 ${String(row.p50).padStart(4)} ms   p99 ${String(row.p99).padStart(4)} ms   (${row.requests} requests, ${row.failures} failed)`,
        );
      }
    } finally {
      await stopServer(child);
      rmSync(dir, { recursive: true, force: true });
      await cleanup(storage, prefix);
    }
  }
  console.log(
    `\nload average at the end: ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  );
  console.log('\n| storage | scenario | req/s | p50 ms | p99 ms | requests | failed |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const row of rows)
    console.log(
      `| ${row.storage} | ${row.scenario} | ${row.rps} | ${row.p50} | ${row.p99} | ${row.requests} | ${row.failures} |`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
