/**
 * `scripts/redis-cluster.sh start` on nodes an earlier run left behind. CI once failed at once
 * with "node 127.0.0.1:7001 already knows 3 nodes but the cluster is not ok": a run cut off
 * mid-way had left the cluster's nodes, one of them down. `start` must bring such a cluster back
 * (a node restarted from its nodes.conf rejoins) or, when it cannot rejoin, recreate the
 * cluster from the nodes it started itself, never give up on them.
 *
 * Own ports and data dir, so the shared cluster is never touched.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortRange } from './helpers.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/redis-cluster.sh', import.meta.url));
const base = await freePortRange(Number(process.env.SF_CLUSTER_SCRIPT_TEST_BASE_PORT || 7611), 3);

describe.skipIf(base === undefined)(
  'scripts/redis-cluster.sh start on a cluster left broken',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-redis-cluster-script-'));
    const env = { ...process.env, REDIS_CLUSTER_BASE_PORT: String(base), REDIS_CLUSTER_DIR: dir };
    const second = base! + 1;
    const start = () => run('bash', [script, 'start'], { env, timeout: 90_000 });
    const status = () =>
      run('bash', [script, 'status'], { env }).then(
        (result) => result.stdout.trim(),
        (error: { stdout?: string }) => String(error.stdout ?? '').trim(),
      );
    const kill = (port: number) =>
      process.kill(Number(readFileSync(join(dir, String(port), 'redis.pid'), 'utf8')), 'SIGKILL');

    afterAll(async () => {
      await run('bash', [script, 'stop'], { env, timeout: 60_000 }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('brings back a node that was killed (it rejoins from its nodes.conf)', async () => {
      await start();
      expect(await status()).toBe('ok');
      kill(second);
      expect(await status()).toBe('starting');

      const { stdout, stderr } = await start();
      expect(stdout).toContain(`REDIS_CLUSTER_NODES=127.0.0.1:${base}`);
      expect(stderr).not.toContain('ERROR');
      expect(await status()).toBe('ok');
    }, 120_000);

    it('recreates the cluster when a killed node lost its data and cannot rejoin', async () => {
      kill(second);
      rmSync(join(dir, String(second)), { recursive: true, force: true });

      const { stdout, stderr } = await start();
      expect(stderr).toContain('recreating it');
      expect(stdout).toContain(`REDIS_CLUSTER_NODES=127.0.0.1:${base}`);
      expect(await status()).toBe('ok');
    }, 120_000);
  },
);
