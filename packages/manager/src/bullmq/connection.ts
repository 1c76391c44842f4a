/** The Redis connection of the BullMQ queues: URLs, ioredis options or clients, and the workers' own. */
import type { RedisOptions as BullmqRedisOptions, ConnectionOptions } from 'bullmq';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { invalidOption } from '../errors.js';

/** A Redis connection: a `redis://` / `rediss://` URL, ioredis options, or an ioredis client. */
export type FanoutConnection = string | RedisOptions | Redis | Cluster;

export function isRedisClient(connection: FanoutConnection): connection is Redis | Cluster {
  return (
    typeof connection === 'object' &&
    connection !== null &&
    typeof (connection as Redis).duplicate === 'function'
  );
}

/** ioredis options from a `redis://user:password@host:port/db` or `rediss://` URL. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw invalidOption(`not a Redis URL: ${JSON.stringify(url)}`, 'connection', url, {
      cause: error,
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw invalidOption(
      `a Redis URL starts with redis:// or rediss://, got ${JSON.stringify(url)}`,
      'connection',
      url,
    );
  }
  const options: RedisOptions = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db) {
    if (!/^\d+$/.test(db))
      throw invalidOption(
        `the database of a Redis URL is a number, got ${JSON.stringify(db)}`,
        'connection',
        url,
      );
    options.db = Number(db);
  }
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

/** A connection as BullMQ's option types take it. */
export type QueueConnection = BullmqRedisOptions | Redis | Cluster;

/**
 * ioredis options as BullMQ's option type takes them. ioredis 6 also allows `retryStrategy:
 * null` (never reconnect), which BullMQ's type (written for ioredis 5) lacks; a strategy that
 * returns null means the same to ioredis 5 and 6.
 */
function bullmqRedisOptions(options: RedisOptions): BullmqRedisOptions {
  const { retryStrategy, ...rest } = options;
  return retryStrategy === null
    ? { ...rest, retryStrategy: () => null }
    : { ...rest, retryStrategy };
}

/** The connection the queues use: options from a URL, or the options or client as given. */
export function queueConnection(connection: FanoutConnection | undefined | null): QueueConnection {
  if (connection === undefined || connection === null) {
    throw invalidOption(
      'bullmqFanoutQueue needs a connection (a redis:// URL, ioredis options or an ioredis client)',
      'connection',
      connection,
    );
  }
  if (
    isRedisClient(connection) &&
    connection.options &&
    'keyPrefix' in connection.options &&
    connection.options.keyPrefix
  ) {
    throw invalidOption(
      'BullMQ cannot use an ioredis client with keyPrefix; use the prefix option instead',
      'connection.options.keyPrefix',
      connection.options.keyPrefix,
    );
  }
  if (isRedisClient(connection)) return connection;
  return bullmqRedisOptions(
    typeof connection === 'string' ? redisOptionsFromUrl(connection) : connection,
  );
}

/**
 * Connections for workers: workers block on their connection, so each gets its own without a
 * retry limit (a duplicate of a given client, closed with `closeAll`).
 */
export function workerConnections(connection: QueueConnection): {
  next(): ConnectionOptions;
  closeAll(): Promise<void>;
} {
  const owned: Array<Redis | Cluster> = [];
  return {
    next: () => {
      if (!isRedisClient(connection)) return { ...connection, maxRetriesPerRequest: null };
      if ((connection as Cluster).isCluster) {
        const cluster = connection as Cluster;
        const duplicate = cluster.duplicate(undefined, {
          ...cluster.options,
          redisOptions: { ...cluster.options.redisOptions, maxRetriesPerRequest: null },
        });
        owned.push(duplicate);
        return duplicate;
      }
      const duplicate = (connection as Redis).duplicate({ maxRetriesPerRequest: null });
      owned.push(duplicate);
      return duplicate;
    },
    closeAll: async () => {
      await Promise.all(owned.map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}
