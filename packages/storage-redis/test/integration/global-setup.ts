import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../../../scripts/', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** host:port,host:port,... or '' when cluster runs are off. */
    redisClusterNodes: string;
  }
}

async function script(name: string, args: string[]): Promise<string> {
  const { stdout } = await run('bash', [scripts + name, ...args], {
    env: process.env,
    timeout: 120_000,
  });
  return stdout;
}

/**
 * Makes sure the servers exist: the single Redis (started only if nothing answers on 6379 and
 * REDIS_URL is unset) and the cluster (started on REDIS_CLUSTER_BASE_PORT, default 7001, when
 * REDIS_CLUSTER_NODES is unset, and stopped at the end if this run started it).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    await script('redis-single.sh', ['ensure']);
    redisUrl = 'redis://127.0.0.1:6379';
  }
  project.provide('redisUrl', redisUrl);

  let clusterNodes = process.env.REDIS_CLUSTER_NODES ?? '';
  let startedCluster = false;
  if (process.env.SF_REDIS_CLUSTER === '0') {
    clusterNodes = '';
  } else if (!clusterNodes) {
    const status = await run('bash', [scripts + 'redis-cluster.sh', 'status']).then(
      ({ stdout }) => stdout.trim(),
      () => 'stopped',
    );
    const output = await script('redis-cluster.sh', ['start']);
    clusterNodes = /REDIS_CLUSTER_NODES=(\S+)/.exec(output)?.[1] ?? '';
    if (!clusterNodes)
      throw new Error(`scripts/redis-cluster.sh start printed no REDIS_CLUSTER_NODES: ${output}`);
    startedCluster = status !== 'ok';
  }
  project.provide('redisClusterNodes', clusterNodes);

  return async () => {
    if (startedCluster) await script('redis-cluster.sh', ['stop']);
  };
}
