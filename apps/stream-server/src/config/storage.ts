import { fail, isObject, only, positiveInteger } from './fields.js';
import type { StorageConfig } from './types.js';

const redisPrefixPattern = /^[A-Za-z0-9_:.-]{0,64}$/;
/** Lowercase, so it never needs quoting; `pg_` is reserved by PostgreSQL for system schemas. */
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;
export const defaultPostgresSchema = 'sf_stream_server';
export const defaultPoolSize = 10;
const storageTypes = '"memory", "redis" or "postgres"';

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
