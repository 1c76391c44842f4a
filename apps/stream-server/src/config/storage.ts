import { fail, isObject, only, positiveInteger } from './fields.js';
import type {
  CassandraConsistency,
  CassandraReplication,
  CassandraStorageConfig,
  StorageConfig,
} from './types.js';

const redisPrefixPattern = /^[A-Za-z0-9_:.-]{0,64}$/;
/** Lowercase, so it never needs quoting; `pg_` is reserved by PostgreSQL for system schemas. */
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;
export const defaultPostgresSchema = 'sf_stream_server';
export const defaultPoolSize = 10;
const storageTypes = '"memory", "redis", "postgres" or "cassandra"';
export const defaultCassandraKeyspace = 'sf_stream_server';
/** Cassandra's rule for keyspace names, lower case so it never needs quoting. */
const keyspacePattern = /^[a-z][a-z0-9_]{0,47}$/;
/** A host name, IPv4 address or bracketed IPv6 address, then an optional port. */
const contactPointPattern = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
/** Data center names as `nodetool status` shows them (letters, digits, `_`, `-`, `.`). */
const dataCenterPattern = /^[A-Za-z0-9_.-]{1,64}$/;
/** The levels of plain reads and writes (SERIAL and LOCAL_SERIAL are for lightweight transactions only). */
export const cassandraConsistencies: readonly CassandraConsistency[] = [
  'ANY',
  'ONE',
  'TWO',
  'THREE',
  'QUORUM',
  'ALL',
  'LOCAL_QUORUM',
  'EACH_QUORUM',
  'LOCAL_ONE',
];
/** Copies a level needs to answer at all (ONE, QUORUM... fit any replication). */
const copiesNeeded: Partial<Record<CassandraConsistency, number>> = { TWO: 2, THREE: 3 };

/**
 * A PostgreSQL URL as it may be shown (in an error or a log): its password replaced by `***`.
 * Text that is no URL is not shown at all (it could be a password pasted in the wrong field).
 */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not shown)';
  }
}

/** Checks a PostgreSQL URL (file field or environment variable); `path` names it in the error. */
export function checkPostgresUrl(path: string, url: unknown): string {
  if (typeof url !== 'string') fail(path, 'must be a postgres:// or postgresql:// URL');
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    fail(path, `must be a postgres:// or postgresql:// URL, got ${redactedUrl(url)}`);
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:')
    fail(
      path,
      `must be a postgres:// or postgresql:// URL, got ${redactedUrl(url)}`,
      redactedUrl(url),
    );
  return url;
}

/** The `storage` field: `{ type: "memory" }`, `{ type: "redis", ... }` or `{ type: "postgres", ... }`. */
export function parseStorage(storageRaw: unknown): StorageConfig {
  if (!isObject(storageRaw))
    fail('storage', `must be an object { type: ${storageTypes} }`, storageRaw);
  if (storageRaw.type === 'memory') {
    only('storage', storageRaw, ['type']);
    return { type: 'memory' };
  }
  if (storageRaw.type === 'redis') {
    only('storage', storageRaw, ['type', 'url', 'clusterNodes', 'keyPrefix']);
    const keyPrefix = storageRaw.keyPrefix ?? 'sf:stream:';
    if (typeof keyPrefix !== 'string' || !redisPrefixPattern.test(keyPrefix))
      fail(
        'storage.keyPrefix',
        'must be up to 64 letters, digits and _:.- (no hash tag braces)',
        keyPrefix,
      );
    if (storageRaw.url !== undefined && typeof storageRaw.url !== 'string')
      fail('storage.url', 'must be a redis:// URL', storageRaw.url);
    if (
      storageRaw.clusterNodes !== undefined &&
      (!Array.isArray(storageRaw.clusterNodes) ||
        storageRaw.clusterNodes.some((n) => typeof n !== 'string' || !/^[^:]+:\d+$/.test(n)))
    ) {
      fail('storage.clusterNodes', 'must be an array of "host:port"', storageRaw.clusterNodes);
    }
    return {
      type: 'redis',
      keyPrefix,
      url: typeof storageRaw.url === 'string' ? storageRaw.url : undefined,
      clusterNodes: Array.isArray(storageRaw.clusterNodes)
        ? (storageRaw.clusterNodes as string[])
        : undefined,
    };
  }
  if (storageRaw.type === 'postgres') {
    only('storage', storageRaw, ['type', 'url', 'schema', 'poolSize', 'feedCache']);
    const schema = storageRaw.schema ?? defaultPostgresSchema;
    if (typeof schema !== 'string' || !schemaPattern.test(schema) || schema.startsWith('pg_'))
      fail(
        'storage.schema',
        `must be a lowercase letter or _ then lowercase letters, digits or _ (max 63), not starting with pg_, got ${JSON.stringify(schema)}`,
        schema,
      );
    const poolSize = positiveInteger('storage.poolSize', storageRaw.poolSize, defaultPoolSize);
    if (poolSize > 1000)
      fail('storage.poolSize', `must be at most 1000, got ${poolSize}`, poolSize);
    return {
      type: 'postgres',
      url:
        storageRaw.url === undefined ? undefined : checkPostgresUrl('storage.url', storageRaw.url),
      schema,
      poolSize,
      ...(storageRaw.feedCache === undefined
        ? {}
        : { feedCache: parseFeedCache(storageRaw.feedCache) }),
    };
  }
  if (storageRaw.type === 'cassandra') return parseCassandraStorage(storageRaw);
  return fail(
    'storage.type',
    `must be ${storageTypes}, got ${JSON.stringify(storageRaw.type)}`,
    storageRaw.type,
  );
}

/** `storage.feedCache` of the postgres storage: a Redis cache in front of the flat feeds. */
export function parseFeedCache(raw: unknown): {
  url?: string;
  keyPrefix: string;
  maxLength: number;
} {
  if (!isObject(raw)) return fail('storage.feedCache', 'must be an object', raw);
  only('storage.feedCache', raw, ['url', 'keyPrefix', 'maxLength']);
  if (raw.url !== undefined && (typeof raw.url !== 'string' || !/^rediss?:\/\//.test(raw.url)))
    fail('storage.feedCache.url', 'must be a redis:// URL', raw.url);
  const keyPrefix = raw.keyPrefix ?? 'sf:stream:cache:';
  if (typeof keyPrefix !== 'string' || !redisPrefixPattern.test(keyPrefix))
    fail(
      'storage.feedCache.keyPrefix',
      `must be up to 64 of A-Z a-z 0-9 _ : . -, got ${JSON.stringify(keyPrefix)}`,
      keyPrefix,
    );
  const maxLength = positiveInteger('storage.feedCache.maxLength', raw.maxLength, 100);
  return {
    ...(typeof raw.url === 'string' ? { url: raw.url } : {}),
    keyPrefix,
    maxLength,
  };
}

/**
 * The schema of one tenant's feeds on PostgreSQL: `<schema>_t_<tenant>` with `-` written `_`
 * (`sf_stream_server_t_acme`). @sf/storage-postgres keeps activities by id in one table per
 * schema, so each tenant gets its own schema, as each gets its own key prefix on Redis.
 */
export function feedSchema(schema: string, tenant: string): string {
  return `${schema}_t_${tenant.replaceAll('-', '_')}`;
}

/**
 * Checks that every tenant's feed schema is a valid name (at most 63 characters) and that no
 * two tenants share one (`a-b` and `a_b` would): a ConfigError naming the tenants otherwise.
 */
export function checkFeedSchemas(
  storage: StorageConfig,
  tenants: readonly string[],
  feedCount: number,
  path: string,
): void {
  if (storage.type !== 'postgres' || feedCount === 0) return;
  const owners = new Map<string, string>();
  for (const tenant of tenants) {
    const schema = feedSchema(storage.schema ?? defaultPostgresSchema, tenant);
    if (schema.length > 63)
      fail(
        path,
        `tenant ${JSON.stringify(tenant)}'s feed schema ${JSON.stringify(schema)} is longer than PostgreSQL's 63 characters: use a shorter storage.schema or tenant id`,
        tenant,
      );
    const other = owners.get(schema);
    if (other !== undefined)
      fail(
        path,
        `tenants ${JSON.stringify(other)} and ${JSON.stringify(tenant)} would share the feed schema ${JSON.stringify(schema)} (- is written _): rename one`,
        [other, tenant],
      );
    owners.set(schema, tenant);
  }
}

/** `{ type: "cassandra", ... }`: feeds in Cassandra, items and follows in Redis. */
function parseCassandraStorage(raw: Record<string, unknown>): CassandraStorageConfig {
  only('storage', raw, [
    'type',
    'contactPoints',
    'localDataCenter',
    'keyspace',
    'replication',
    'consistency',
    'keyPrefix',
    'redis',
  ]);
  const keyPrefix = raw.keyPrefix ?? 'sf:stream:';
  if (typeof keyPrefix !== 'string' || !redisPrefixPattern.test(keyPrefix))
    fail(
      'storage.keyPrefix',
      `must be up to 64 letters, digits and _:.- (no hash tag braces), got ${JSON.stringify(keyPrefix)}`,
      keyPrefix,
    );
  const localDataCenter = checkDataCenter(
    'storage.localDataCenter',
    raw.localDataCenter ?? 'datacenter1',
  );
  const keyspace = checkKeyspace('storage.keyspace', raw.keyspace ?? defaultCassandraKeyspace);
  const replication = parseReplication(
    'storage.replication',
    raw.replication ?? { class: 'SimpleStrategy', replication_factor: 1 },
  );
  const redisRaw = raw.redis ?? {};
  if (!isObject(redisRaw))
    fail('storage.redis', 'must be an object { url?, clusterNodes? }', redisRaw);
  only('storage.redis', redisRaw, ['url', 'clusterNodes']);
  if (
    redisRaw.url !== undefined &&
    (typeof redisRaw.url !== 'string' || !/^rediss?:\/\//.test(redisRaw.url))
  )
    fail('storage.redis.url', 'must be a redis:// URL', redisRaw.url);
  if (
    redisRaw.clusterNodes !== undefined &&
    (!Array.isArray(redisRaw.clusterNodes) ||
      redisRaw.clusterNodes.some((n) => typeof n !== 'string' || !/^[^:]+:\d+$/.test(n)))
  )
    fail('storage.redis.clusterNodes', 'must be an array of "host:port"', redisRaw.clusterNodes);
  return {
    type: 'cassandra',
    contactPoints: parseContactPoints('storage.contactPoints', raw.contactPoints ?? ['127.0.0.1']),
    localDataCenter,
    keyspace,
    replication,
    ...(raw.consistency === undefined
      ? {}
      : { consistency: parseConsistency('storage.consistency', raw.consistency, replication) }),
    keyPrefix,
    redis: {
      ...(typeof redisRaw.url === 'string' ? { url: redisRaw.url } : {}),
      ...(Array.isArray(redisRaw.clusterNodes)
        ? { clusterNodes: redisRaw.clusterNodes as string[] }
        : {}),
    },
  };
}

/** A data center name (file field or environment variable). */
export function checkDataCenter(path: string, value: unknown): string {
  if (typeof value !== 'string' || !dataCenterPattern.test(value))
    fail(
      path,
      `must be a data center name (letters, digits, _ . -; max 64), got ${JSON.stringify(value)}`,
      value,
    );
  return value;
}

/** A keyspace name (file field or environment variable): `path` names it in the error. */
export function checkKeyspace(path: string, value: unknown): string {
  if (typeof value !== 'string' || !keyspacePattern.test(value))
    fail(
      path,
      `must be a lowercase letter then lowercase letters, digits or _ (max 48), got ${JSON.stringify(value)}`,
      value,
    );
  return value;
}

/**
 * Contact points: a non-empty array (or, from the environment, a comma-separated string) of
 * `host` or `host:port`, all on one port: the driver connects to the nodes it discovers on the
 * contact points' port, so two ports would send queries to whatever answers on one of them.
 */
export function parseContactPoints(path: string, value: unknown): string[] {
  const points =
    typeof value === 'string'
      ? value
          .split(',')
          .map((point) => point.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(points) || points.length === 0)
    fail(
      path,
      `must be a non-empty list of "host" or "host:port", got ${JSON.stringify(value)}`,
      value,
    );
  const ports = new Set<string>();
  for (const point of points) {
    const match = typeof point === 'string' ? contactPointPattern.exec(point) : null;
    const port = match?.[2];
    if (!match || (port !== undefined && (Number(port) < 1 || Number(port) > 65535)))
      fail(
        path,
        `each contact point must be "host" or "host:port" (port 1 to 65535), got ${JSON.stringify(point)}`,
        point,
      );
    ports.add(port ?? '9042');
  }
  if (ports.size > 1)
    fail(
      path,
      `all contact points must use one port (the driver reaches the nodes it discovers on it), got ${JSON.stringify(points)}`,
      points,
    );
  return points as string[];
}

function positiveCopies(path: string, value: unknown): number {
  const copies = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof copies !== 'number' || !Number.isSafeInteger(copies) || copies < 1 || copies > 100)
    fail(
      path,
      `must be a whole number of copies from 1 to 100, got ${JSON.stringify(value)}`,
      value,
    );
  return copies;
}

/**
 * The keyspace's replication: a number (SimpleStrategy with that many copies), or
 * `{ class: "SimpleStrategy", replication_factor }`, or
 * `{ class: "NetworkTopologyStrategy", <data center>: copies, ... }`. From the environment:
 * `3` or `dc1:3,dc2:2`.
 */
export function parseReplication(path: string, value: unknown): CassandraReplication {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)))
    return { class: 'SimpleStrategy', replication_factor: positiveCopies(path, value) };
  if (typeof value === 'string') {
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => entry.split(':'));
    if (entries.length === 0 || entries.some((entry) => entry.length !== 2))
      fail(
        path,
        `must be a number of copies (3) or data center:copies pairs (dc1:3,dc2:2), got ${JSON.stringify(value)}`,
        value,
      );
    return parseReplication(path, {
      class: 'NetworkTopologyStrategy',
      ...Object.fromEntries(entries.map(([dc, copies]) => [dc!.trim(), copies!.trim()])),
    });
  }
  if (!isObject(value))
    fail(
      path,
      'must be a number of copies or { class: "SimpleStrategy", replication_factor } or { class: "NetworkTopologyStrategy", <data center>: copies }',
      value,
    );
  if (value.class === 'SimpleStrategy') {
    only(path, value, ['class', 'replication_factor']);
    return {
      class: 'SimpleStrategy',
      replication_factor: positiveCopies(`${path}.replication_factor`, value.replication_factor),
    };
  }
  if (value.class === 'NetworkTopologyStrategy') {
    const centers = Object.keys(value).filter((key) => key !== 'class');
    if (centers.length === 0)
      fail(path, 'NetworkTopologyStrategy needs the copies of at least one data center', value);
    const replication: CassandraReplication = { class: 'NetworkTopologyStrategy' };
    for (const center of centers) {
      if (!dataCenterPattern.test(center))
        fail(path, `bad data center name ${JSON.stringify(center)}`, center);
      replication[center] = positiveCopies(`${path}.${center}`, value[center]);
    }
    return replication;
  }
  return fail(
    `${path}.class`,
    `must be "SimpleStrategy" or "NetworkTopologyStrategy", got ${JSON.stringify(value.class)}`,
    value.class,
  );
}

/** The most copies the replication keeps in one data center. */
export function replicationCopies(replication: CassandraReplication): number {
  return Math.max(
    ...Object.entries(replication)
      .filter(([key]) => key !== 'class')
      .map(([, copies]) => Number(copies)),
  );
}

/**
 * A consistency level by name (any case), checked against the replication: `THREE` on a
 * keyspace of one copy could never answer.
 */
export function parseConsistency(
  path: string,
  value: unknown,
  replication: CassandraReplication,
): CassandraConsistency {
  const level =
    typeof value === 'string'
      ? cassandraConsistencies.find((name) => name === value.toUpperCase())
      : undefined;
  if (!level)
    fail(
      path,
      `unknown consistency level ${JSON.stringify(value)} (one of ${cassandraConsistencies.join(', ')})`,
      value,
    );
  const needed = copiesNeeded[level] ?? 1;
  const copies = replicationCopies(replication);
  if (needed > copies)
    fail(path, `${level} needs ${needed} copies, but the replication keeps ${copies}`, value);
  return level;
}
