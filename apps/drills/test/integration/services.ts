/** Connections to the services the integration tests use, and key cleanup. */
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { deleteKeysWithPrefix } from '@sf/storage-redis';
import { Cluster, Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const REDIS_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES || '';
export const CASSANDRA_CONTACT_POINTS = (process.env.CASSANDRA_CONTACT_POINTS || '127.0.0.1:9042')
  .split(',')
  .map((point) => point.trim());
export const POSTGRES_URL =
  process.env.SF_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A key prefix unique to this run and call. */
export function uniquePrefix(label: string): string {
  return `sf-drill-test:${label}:${randomBytes(4).toString('hex')}:`;
}

export function redisClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}

export function clusterClient(): Cluster {
  const startupNodes = REDIS_CLUSTER_NODES.split(',').map((node) => {
    const [host, port] = node.split(':');
    return { host: host!, port: Number(port) };
  });
  return new Cluster(startupNodes, { redisOptions: { maxRetriesPerRequest: 1 } });
}

/** Deletes every key of a prefix (and the `{prefix...}:lock` keys) on every master. */
export async function deleteKeys(client: Redis | Cluster, prefix: string): Promise<void> {
  await deleteKeysWithPrefix(client, prefix);
}

/** True when something accepts TCP connections at host:port within a second. */
export function reachable(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port ?? 9042) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
