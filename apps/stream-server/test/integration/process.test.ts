import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient, StreamClient } from '../../src/client.js';
import { readmeEvents } from '../../src/test-config.js';
import { dropSchemas, postgresUrl, testPool, uniqueSchema } from './postgres.js';

const appDir = fileURLToPath(new URL('../..', import.meta.url));

describe('src/main.ts as its own process', () => {
  let child: ChildProcess;
  let dir: string;
  let baseUrl: string;
  let stderr = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stream-server-test-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        items: { keys: ['user', 'kind', 'repo'] },
        tenants: [{ id: 'proc', apiKeys: [] }],
      }),
    );
    child = spawn(
      process.execPath,
      ['--conditions=@sf/source', '--import', 'tsx', 'src/main.ts', config],
      {
        cwd: appDir,
        env: {
          ...process.env,
          PORT: '0',
          LOG_LEVEL: 'silent',
          STREAM_SERVER_API_KEYS: 'proc:write:process-test-key-1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    baseUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output} ${stderr}`)));
    });
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes its API keys from the environment and serves the README example', async () => {
    const c = new RpcClient({ baseUrl, apiKey: 'process-test-key-1' });
    for (const event of readmeEvents) await c.insert(event);
    expect(await c.items({ user: [23, 291], start: 1, end: 3 })).toEqual([
      readmeEvents[3],
      readmeEvents[2],
    ]);
    const anonymous = await fetch(`${baseUrl}/items`);
    expect(anonymous.status).toBe(401);
    expect(await new StreamClient({ baseUrl, apiKey: 'x' }).health()).toMatchObject({
      status: 'ok',
      storage: 'memory',
    });
  });

  it('exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('exits 2 with a clear message on a bad config', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ feeds: [{ name: 'x', type: 'flat', keyFormat: 'nope' }] }));
    const run = spawn(
      process.execPath,
      ['--conditions=@sf/source', '--import', 'tsx', 'src/main.ts', bad],
      { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    run.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(code).toBe(2);
    expect(output).toContain('config feeds[0].keyFormat');
  });
});

describe('src/main.ts on PostgreSQL, its URL from the environment', () => {
  const schema = uniqueSchema();
  const pool = testPool();
  let dir: string;

  afterAll(async () => {
    await dropSchemas(pool, [schema]);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the README example from its schema and exits 0 on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'stream-server-test-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        items: { keys: ['user', 'kind', 'repo'] },
        storage: { type: 'postgres', schema },
        tenants: [{ id: 'proc', apiKeys: [{ key: 'process-test-key-2', access: 'write' }] }],
      }),
    );
    const child = spawn(
      process.execPath,
      ['--conditions=@sf/source', '--import', 'tsx', 'src/main.ts', config],
      {
        cwd: appDir,
        env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent', POSTGRES_URL: postgresUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const baseUrl = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+) \(storage: postgres\)/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
      });
      const c = new StreamClient({ baseUrl, apiKey: 'process-test-key-2' });
      for (const event of readmeEvents) await c.insert(event);
      expect(await c.items({ user: [23, 291], start: 1, end: 3 })).toEqual([
        readmeEvents[3],
        readmeEvents[2],
      ]);
      expect(await c.health()).toMatchObject({ status: 'ok', storage: 'postgres' });
      const rows = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}".items WHERE tenant = 'proc'`,
      );
      expect(rows.rows).toEqual([{ n: 5 }]);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
