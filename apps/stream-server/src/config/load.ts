import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './error.js';
import { hashKey, parseApiKey, parseConfig, tenantPattern } from './parse.js';
import {
  checkDataCenter,
  checkFeedSchemas,
  checkKeyspace,
  checkPostgresUrl,
  parseConsistency,
  parseContactPoints,
  parseFeedCache,
  parseReplication,
  parseStorage,
} from './storage.js';
import type { Access, ServerConfig } from './types.js';

/**
 * Applies the environment: HOST, PORT, REDIS_URL, REDIS_CLUSTER_NODES, POSTGRES_URL,
 * STREAM_SERVER_STORAGE (`memory` | `redis` | `postgres` | `cassandra`), the CASSANDRA_*
 * variables of the cassandra storage (CONTACT_POINTS, LOCAL_DC, KEYSPACE, REPLICATION,
 * CONSISTENCY) and STREAM_SERVER_API_KEYS (`tenant:access:key,...`, adding tenants as needed).
 */
export function applyEnvironment(
  config: ServerConfig,
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const next: ServerConfig = {
    ...config,
    tenants: config.tenants.map((t) => ({ ...t, apiKeys: [...t.apiKeys] })),
  };
  if (env.HOST) next.host = env.HOST;
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new ConfigError(
        `PORT must be an integer from 0 to 65535, got ${JSON.stringify(env.PORT)}`,
        { path: 'PORT', value: env.PORT },
      );
    next.port = port;
  }
  const storageType = env.STREAM_SERVER_STORAGE;
  if (storageType !== undefined && storageType !== '') {
    if (storageType === 'memory') next.storage = { type: 'memory' };
    else if (storageType === 'redis')
      next.storage =
        next.storage.type === 'redis' ? next.storage : { type: 'redis', keyPrefix: 'sf:stream:' };
    else if (storageType === 'postgres')
      next.storage =
        next.storage.type === 'postgres' ? next.storage : parseStorage({ type: 'postgres' });
    else if (storageType === 'cassandra')
      next.storage =
        next.storage.type === 'cassandra' ? next.storage : parseStorage({ type: 'cassandra' });
    else
      throw new ConfigError(
        `STREAM_SERVER_STORAGE must be memory, redis, postgres or cassandra, got ${JSON.stringify(storageType)}`,
        { path: 'STREAM_SERVER_STORAGE', value: storageType },
      );
  }
  if (next.storage.type === 'postgres' && env.POSTGRES_URL)
    next.storage = {
      ...next.storage,
      url: checkPostgresUrl('POSTGRES_URL', env.POSTGRES_URL),
    };
  const feedCache = env.STREAM_SERVER_FEED_CACHE;
  if (feedCache !== undefined && feedCache !== '') {
    if (feedCache !== 'redis' || next.storage.type !== 'postgres')
      throw new ConfigError(
        `STREAM_SERVER_FEED_CACHE must be redis, with the postgres storage, got ${JSON.stringify(feedCache)} with ${next.storage.type}`,
        { path: 'STREAM_SERVER_FEED_CACHE', value: feedCache },
      );
    next.storage = {
      ...next.storage,
      feedCache: {
        ...parseFeedCache(next.storage.feedCache ?? {}),
        ...(env.REDIS_URL ? { url: env.REDIS_URL } : {}),
      },
    };
  } else if (next.storage.type === 'postgres' && next.storage.feedCache && env.REDIS_URL) {
    next.storage = {
      ...next.storage,
      feedCache: { ...next.storage.feedCache, url: env.REDIS_URL },
    };
  }
  if (next.storage.type === 'redis') {
    const storage = { ...next.storage };
    if (env.REDIS_URL) storage.url = env.REDIS_URL;
    if (env.REDIS_CLUSTER_NODES)
      storage.clusterNodes = env.REDIS_CLUSTER_NODES.split(',')
        .map((node) => node.trim())
        .filter(Boolean);
    next.storage = storage;
  }
  if (next.storage.type === 'cassandra') {
    const storage = { ...next.storage, redis: { ...next.storage.redis } };
    const set = (name: string): string | undefined =>
      env[name] !== undefined && env[name] !== '' ? env[name] : undefined;
    const points = set('CASSANDRA_CONTACT_POINTS');
    if (points !== undefined)
      storage.contactPoints = parseContactPoints('CASSANDRA_CONTACT_POINTS', points);
    const dc = set('CASSANDRA_LOCAL_DC');
    if (dc !== undefined) storage.localDataCenter = checkDataCenter('CASSANDRA_LOCAL_DC', dc);
    const keyspace = set('CASSANDRA_KEYSPACE');
    if (keyspace !== undefined) storage.keyspace = checkKeyspace('CASSANDRA_KEYSPACE', keyspace);
    const replication = set('CASSANDRA_REPLICATION');
    if (replication !== undefined)
      storage.replication = parseReplication('CASSANDRA_REPLICATION', replication);
    const consistency = set('CASSANDRA_CONSISTENCY');
    if (consistency !== undefined)
      storage.consistency = parseConsistency(
        'CASSANDRA_CONSISTENCY',
        consistency,
        storage.replication,
      );
    else if (storage.consistency !== undefined && replication !== undefined)
      // The file's level against the environment's replication (THREE on one copy never answers).
      parseConsistency('storage.consistency', storage.consistency, storage.replication);
    if (env.REDIS_URL) storage.redis.url = env.REDIS_URL;
    if (env.REDIS_CLUSTER_NODES)
      storage.redis.clusterNodes = env.REDIS_CLUSTER_NODES.split(',')
        .map((node) => node.trim())
        .filter(Boolean);
    next.storage = storage;
  }
  const keys = env.STREAM_SERVER_API_KEYS;
  if (keys) {
    for (const [i, entry] of keys
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
      .entries()) {
      const match = /^([^:]+):(read|write):(.+)$/.exec(entry);
      if (!match)
        throw new ConfigError(
          `STREAM_SERVER_API_KEYS entry ${i + 1} must be tenant:read|write:key`,
          { path: 'STREAM_SERVER_API_KEYS' },
        );
      const [, tenantId, access, key] = match as unknown as [string, string, Access, string];
      if (!tenantPattern.test(tenantId))
        throw new ConfigError(
          `STREAM_SERVER_API_KEYS entry ${i + 1}: bad tenant id ${JSON.stringify(tenantId)}`,
          { path: 'STREAM_SERVER_API_KEYS', value: tenantId },
        );
      const apiKey = parseApiKey(`STREAM_SERVER_API_KEYS entry ${i + 1}`, { key, access });
      let tenant = next.tenants.find((t) => t.id === tenantId);
      if (!tenant) {
        tenant = { id: tenantId, apiKeys: [] };
        next.tenants.push(tenant);
      }
      tenant.apiKeys.push(apiKey);
    }
  }
  checkFeedSchemas(
    next.storage,
    next.tenants.map((t) => t.id),
    next.feeds.length,
    'tenants',
  );
  return next;
}

/** Reads and validates a config file (default: STREAM_SERVER_CONFIG or ./stream-server.config.json), then applies the environment. */
export function loadConfig(
  path = process.env.STREAM_SERVER_CONFIG ?? 'stream-server.config.json',
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`, {
      path: 'configFile',
      value: file,
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`, {
      path: 'configFile',
      value: file,
      cause: error,
    });
  }
  return applyEnvironment(parseConfig(raw), env);
}

/** API key digest → tenant and access. Keys are looked up by their SHA-256, never compared as text. */
export function apiKeyTable(config: ServerConfig): Map<string, { tenant: string; access: Access }> {
  const table = new Map<string, { tenant: string; access: Access }>();
  for (const tenant of config.tenants) {
    for (const apiKey of tenant.apiKeys) {
      const digest = apiKey.sha256 ?? hashKey(apiKey.key!);
      const existing = table.get(digest);
      if (existing && existing.tenant !== tenant.id) {
        throw new ConfigError(
          `an API key is configured for two tenants (${existing.tenant} and ${tenant.id})`,
          { path: 'tenants', value: [existing.tenant, tenant.id] },
        );
      }
      if (!existing || apiKey.access === 'write')
        table.set(digest, { tenant: tenant.id, access: apiKey.access });
    }
  }
  return table;
}
