import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** What an API key may do: `read` (GET routes, read RPC methods) or `write` (everything). */
export type Access = 'read' | 'write';

export interface ApiKeyConfig {
  /** The key itself (fine for development; prefer `sha256` or the environment in production). */
  key?: string;
  /** The hex SHA-256 of the key, so the config file holds no secret. */
  sha256?: string;
  access: Access;
}

export interface TenantConfig {
  /** Lowercase letters, digits, `_` and `-` (1 to 32): it becomes part of every storage key. */
  id: string;
  apiKeys: ApiKeyConfig[];
}

export type FeedType = 'flat' | 'aggregated' | 'notification';

export interface FeedConfig {
  /** The feed's name in URLs and RPC params: a letter, then letters, digits or `_` (max 48). */
  name: string;
  type: FeedType;
  /**
   * The storage key of a user's feed: a static prefix ending with `:` then `{userId}`, e.g.
   * `feed:{userId}`. Prefixes of two feeds may not start with one another, so no user id can
   * make one feed's key (or lock) equal another's.
   */
  keyFormat: string;
  maxLength?: number;
  /** `user`: the author's own feed (exactly one flat feed); the manager publishes to it. */
  role?: 'user';
  /** Whether followers receive activities published to the user feed (default: true for flat and aggregated feeds). */
  fanout?: boolean;
  /** Aggregated feeds: group by verb and day (default) or by verb, object and day. */
  aggregator?: 'verb-day' | 'verb-object-day';
}

export interface VerbConfig {
  id: number;
  infinitive: string;
  pastTense: string;
}

export type StorageConfig =
  | { type: 'memory' }
  | {
      type: 'redis';
      /** Default redis://127.0.0.1:6379; the REDIS_URL environment variable wins. */
      url?: string;
      /** Redis Cluster startup nodes (`host:port`); REDIS_CLUSTER_NODES wins. Overrides `url`. */
      clusterNodes?: string[];
      /** Prepended to every key of every tenant (default `sf:stream:`). */
      keyPrefix?: string;
    };

export interface LimitsConfig {
  /** Largest request body of REST routes, in bytes (default 64 KiB). */
  bodyBytes: number;
  /** Largest body of POST /rpc (batches), in bytes (default 1 MiB). */
  rpcBodyBytes: number;
  /** Most requests in one JSON-RPC batch (default 100). */
  rpcBatch: number;
  /** Largest `end - start` of an items query (default 1000). */
  pageSize: number;
  /** Most values in all the filters of one items query (default 100). */
  filterValues: number;
  /** Most items per feed read (default 100). */
  feedPage: number;
  /** Deepest nesting of objects and arrays in a request body or JSON-RPC params (default 64). */
  jsonDepth: number;
  /** Time to receive a request's headers, in ms (default 10000); then 408 and the socket closes. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body, in ms (default 30000; at least headersTimeoutMs). */
  requestTimeoutMs: number;
  /** Time an idle keep-alive connection stays open between requests, in ms (default 5000). */
  keepAliveTimeoutMs: number;
  /** Time a socket may send and receive nothing at all before it is closed, in ms (default 60000). */
  idleTimeoutMs: number;
  /** Open connections per remote address; more are closed at once (default 64). */
  connectionsPerClient: number;
}

export interface ServerConfig {
  host: string;
  port: number;
  /** Indexed keys of items: `GET /items` filters on these (AwesomeStream's `keys=[...]`). */
  itemKeys: string[];
  feeds: FeedConfig[];
  verbs: VerbConfig[];
  tenants: TenantConfig[];
  storage: StorageConfig;
  limits: LimitsConfig;
  /** Fanout of published activities: finished before the response (`await`, default) or after it. */
  fanout: 'await' | 'background';
}

export const defaultLimits: LimitsConfig = {
  bodyBytes: 64 * 1024,
  rpcBodyBytes: 1024 * 1024,
  rpcBatch: 100,
  pageSize: 1000,
  filterValues: 100,
  feedPage: 100,
  jsonDepth: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  connectionsPerClient: 64,
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const tenantPattern = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const itemKeyPattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const feedNamePattern = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;
const keyFormatPattern = /^([A-Za-z0-9_-]+:)+\{userId\}$/;
const redisPrefixPattern = /^[A-Za-z0-9_:.-]{0,64}$/;
/** Key spaces the Redis feed storage uses itself (activity hashes, marker lists). */
const reservedFeedPrefixes = ['global:', 'list:'];
/** Item keys the query string uses for paging. */
const reservedItemKeys = new Set(['start', 'end']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, message: string): never {
  throw new ConfigError(`config ${path}: ${message}`);
}

function only(path: string, value: Json, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      fail(path, `unknown field ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`);
  }
}

function positiveInteger(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    fail(path, `must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function parseApiKey(path: string, value: unknown): ApiKeyConfig {
  if (!isObject(value)) fail(path, 'must be an object { key | sha256, access }');
  only(path, value, ['key', 'sha256', 'access']);
  if (value.access !== 'read' && value.access !== 'write')
    fail(`${path}.access`, `must be "read" or "write", got ${JSON.stringify(value.access)}`);
  const hasKey = value.key !== undefined;
  const hasHash = value.sha256 !== undefined;
  if (hasKey === hasHash) fail(path, 'needs exactly one of key and sha256');
  if (hasKey && (typeof value.key !== 'string' || value.key.length < 8 || value.key.length > 256)) {
    fail(`${path}.key`, 'must be a string of 8 to 256 characters');
  }
  if (hasHash && (typeof value.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(value.sha256))) {
    fail(`${path}.sha256`, 'must be 64 lowercase hex digits');
  }
  return hasKey
    ? { key: value.key as string, access: value.access }
    : { sha256: value.sha256 as string, access: value.access };
}

function parseFeed(path: string, value: unknown): FeedConfig {
  if (!isObject(value)) fail(path, 'must be an object { name, type, keyFormat, ... }');
  only(path, value, ['name', 'type', 'keyFormat', 'maxLength', 'role', 'fanout', 'aggregator']);
  const { name, type, keyFormat } = value;
  if (typeof name !== 'string' || !feedNamePattern.test(name))
    fail(
      `${path}.name`,
      `must be a letter then letters, digits or _ (max 48), got ${JSON.stringify(name)}`,
    );
  if (type !== 'flat' && type !== 'aggregated' && type !== 'notification')
    fail(`${path}.type`, `must be flat, aggregated or notification, got ${JSON.stringify(type)}`);
  if (typeof keyFormat !== 'string' || !keyFormatPattern.test(keyFormat)) {
    fail(
      `${path}.keyFormat`,
      `must be a prefix of letters, digits, _ and - segments each ending with ":" followed by {userId} (e.g. "feed:{userId}"), got ${JSON.stringify(keyFormat)}`,
    );
  }
  if (reservedFeedPrefixes.some((prefix) => keyFormat.startsWith(prefix))) {
    fail(
      `${path}.keyFormat`,
      `must not start with ${reservedFeedPrefixes.join(' or ')} (used by the storage itself)`,
    );
  }
  const feed: FeedConfig = {
    name,
    type,
    keyFormat,
    maxLength: positiveInteger(
      `${path}.maxLength`,
      value.maxLength,
      type === 'flat' && value.role === 'user' ? 1000 : 100,
    ),
  };
  if (value.role !== undefined) {
    if (value.role !== 'user')
      fail(`${path}.role`, `must be "user" or absent, got ${JSON.stringify(value.role)}`);
    if (type !== 'flat') fail(`${path}.role`, 'only a flat feed can be the user feed');
    feed.role = 'user';
  }
  if (value.fanout !== undefined && typeof value.fanout !== 'boolean')
    fail(`${path}.fanout`, 'must be a boolean');
  feed.fanout =
    feed.role === 'user'
      ? false
      : typeof value.fanout === 'boolean'
        ? value.fanout
        : type !== 'notification';
  if (value.aggregator !== undefined) {
    if (type === 'flat')
      fail(`${path}.aggregator`, 'only aggregated and notification feeds have an aggregator');
    if (value.aggregator !== 'verb-day' && value.aggregator !== 'verb-object-day')
      fail(`${path}.aggregator`, 'must be "verb-day" or "verb-object-day"');
    feed.aggregator = value.aggregator;
  }
  return feed;
}

/** Validates a parsed config file (and applies defaults); throws ConfigError naming the bad field. */
export function parseConfig(raw: unknown): ServerConfig {
  if (!isObject(raw)) fail('(root)', 'must be a JSON object');
  only('(root)', raw, [
    '$schema',
    'server',
    'items',
    'feeds',
    'verbs',
    'tenants',
    'storage',
    'limits',
    'fanout',
  ]);

  const server = raw.server ?? {};
  if (!isObject(server)) fail('server', 'must be an object { host, port }');
  only('server', server, ['host', 'port']);
  const host = server.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0)
    fail('server.host', 'must be a non-empty string');
  const port = server.port ?? 8080;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    fail('server.port', 'must be an integer from 0 to 65535');

  const items = raw.items ?? { keys: [] };
  if (!isObject(items)) fail('items', 'must be an object { keys }');
  only('items', items, ['keys']);
  if (!Array.isArray(items.keys)) fail('items.keys', 'must be an array of key names');
  const itemKeys = items.keys.map((key, i) => {
    if (typeof key !== 'string' || !itemKeyPattern.test(key))
      fail(
        `items.keys[${i}]`,
        `must be a letter or _ then letters, digits or _ (max 64), got ${JSON.stringify(key)}`,
      );
    if (reservedItemKeys.has(key))
      fail(`items.keys[${i}]`, `${JSON.stringify(key)} is reserved for paging`);
    return key;
  });
  if (new Set(itemKeys).size !== itemKeys.length) fail('items.keys', 'has duplicates');
  if (itemKeys.length > 32) fail('items.keys', 'has more than 32 keys');

  const feedsRaw = raw.feeds ?? [];
  if (!Array.isArray(feedsRaw)) fail('feeds', 'must be an array');
  const feeds = feedsRaw.map((feed, i) => parseFeed(`feeds[${i}]`, feed));
  const names = new Set<string>();
  for (const [i, feed] of feeds.entries()) {
    if (names.has(feed.name))
      fail(`feeds[${i}].name`, `duplicate feed name ${JSON.stringify(feed.name)}`);
    names.add(feed.name);
    const prefix = feed.keyFormat.replace('{userId}', '');
    for (const other of feeds.slice(0, i)) {
      const otherPrefix = other.keyFormat.replace('{userId}', '');
      if (prefix.startsWith(otherPrefix) || otherPrefix.startsWith(prefix)) {
        fail(
          `feeds[${i}].keyFormat`,
          `${JSON.stringify(feed.keyFormat)} overlaps ${JSON.stringify(other.keyFormat)} of feed ${other.name}: key prefixes may not start with one another`,
        );
      }
    }
  }
  const userFeeds = feeds.filter((feed) => feed.role === 'user');
  if (feeds.length > 0 && userFeeds.length !== 1)
    fail(
      'feeds',
      `needs exactly one flat feed with "role": "user" (the authors' own feed), found ${userFeeds.length}`,
    );

  const verbsRaw = raw.verbs ?? [];
  if (!Array.isArray(verbsRaw)) fail('verbs', 'must be an array');
  const verbs = verbsRaw.map((verb, i): VerbConfig => {
    const path = `verbs[${i}]`;
    if (!isObject(verb)) fail(path, 'must be an object { id, infinitive, pastTense }');
    only(path, verb, ['id', 'infinitive', 'pastTense']);
    if (typeof verb.id !== 'number' || !Number.isInteger(verb.id) || verb.id < 1 || verb.id > 999)
      fail(`${path}.id`, 'must be an integer from 1 to 999');
    for (const field of ['infinitive', 'pastTense'] as const) {
      const text = verb[field];
      if (typeof text !== 'string' || !/^[a-z][a-z0-9_-]{0,31}$/.test(text))
        fail(`${path}.${field}`, 'must be a lowercase word (max 32)');
    }
    return {
      id: verb.id,
      infinitive: verb.infinitive as string,
      pastTense: verb.pastTense as string,
    };
  });

  const tenantsRaw = raw.tenants ?? [];
  if (!Array.isArray(tenantsRaw)) fail('tenants', 'must be an array');
  const tenants = tenantsRaw.map((tenant, i): TenantConfig => {
    const path = `tenants[${i}]`;
    if (!isObject(tenant)) fail(path, 'must be an object { id, apiKeys }');
    only(path, tenant, ['id', 'apiKeys']);
    if (typeof tenant.id !== 'string' || !tenantPattern.test(tenant.id))
      fail(
        `${path}.id`,
        `must be lowercase letters, digits, _ or - (1 to 32, starting with a letter or digit), got ${JSON.stringify(tenant.id)}`,
      );
    const apiKeys = tenant.apiKeys ?? [];
    if (!Array.isArray(apiKeys)) fail(`${path}.apiKeys`, 'must be an array');
    return {
      id: tenant.id,
      apiKeys: apiKeys.map((key, j) => parseApiKey(`${path}.apiKeys[${j}]`, key)),
    };
  });
  if (new Set(tenants.map((t) => t.id)).size !== tenants.length)
    fail('tenants', 'has duplicate ids');

  const storageRaw = raw.storage ?? { type: 'memory' };
  if (!isObject(storageRaw)) fail('storage', 'must be an object { type: "memory" | "redis" }');
  let storage: StorageConfig;
  if (storageRaw.type === 'memory') {
    only('storage', storageRaw, ['type']);
    storage = { type: 'memory' };
  } else if (storageRaw.type === 'redis') {
    only('storage', storageRaw, ['type', 'url', 'clusterNodes', 'keyPrefix']);
    const keyPrefix = storageRaw.keyPrefix ?? 'sf:stream:';
    if (typeof keyPrefix !== 'string' || !redisPrefixPattern.test(keyPrefix))
      fail('storage.keyPrefix', 'must be up to 64 letters, digits and _:.- (no hash tag braces)');
    if (storageRaw.url !== undefined && typeof storageRaw.url !== 'string')
      fail('storage.url', 'must be a redis:// URL');
    if (
      storageRaw.clusterNodes !== undefined &&
      (!Array.isArray(storageRaw.clusterNodes) ||
        storageRaw.clusterNodes.some((n) => typeof n !== 'string' || !/^[^:]+:\d+$/.test(n)))
    ) {
      fail('storage.clusterNodes', 'must be an array of "host:port"');
    }
    storage = {
      type: 'redis',
      keyPrefix,
      url: typeof storageRaw.url === 'string' ? storageRaw.url : undefined,
      clusterNodes: Array.isArray(storageRaw.clusterNodes)
        ? (storageRaw.clusterNodes as string[])
        : undefined,
    };
  } else {
    fail('storage.type', `must be "memory" or "redis", got ${JSON.stringify(storageRaw.type)}`);
  }

  const limitsRaw = raw.limits ?? {};
  if (!isObject(limitsRaw)) fail('limits', 'must be an object');
  only('limits', limitsRaw, Object.keys(defaultLimits));
  const limits = Object.fromEntries(
    Object.entries(defaultLimits).map(([name, fallback]) => [
      name,
      positiveInteger(`limits.${name}`, limitsRaw[name], fallback as number),
    ]),
  ) as unknown as LimitsConfig;
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    fail(
      'limits.headersTimeoutMs',
      `must not exceed limits.requestTimeoutMs (${limits.requestTimeoutMs}), got ${limits.headersTimeoutMs}`,
    );

  const fanout = raw.fanout ?? 'await';
  if (fanout !== 'await' && fanout !== 'background')
    fail('fanout', 'must be "await" or "background"');

  return { host, port, itemKeys, feeds, verbs, tenants, storage, limits, fanout };
}

/**
 * Applies the environment: HOST, PORT, REDIS_URL, REDIS_CLUSTER_NODES, STREAM_SERVER_STORAGE
 * (`memory` | `redis`) and STREAM_SERVER_API_KEYS (`tenant:access:key,...`, adding tenants as
 * needed).
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
      );
    next.port = port;
  }
  const storageType = env.STREAM_SERVER_STORAGE;
  if (storageType !== undefined && storageType !== '') {
    if (storageType === 'memory') next.storage = { type: 'memory' };
    else if (storageType === 'redis')
      next.storage =
        next.storage.type === 'redis' ? next.storage : { type: 'redis', keyPrefix: 'sf:stream:' };
    else
      throw new ConfigError(
        `STREAM_SERVER_STORAGE must be memory or redis, got ${JSON.stringify(storageType)}`,
      );
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
        );
      const [, tenantId, access, key] = match as unknown as [string, string, Access, string];
      if (!tenantPattern.test(tenantId))
        throw new ConfigError(
          `STREAM_SERVER_API_KEYS entry ${i + 1}: bad tenant id ${JSON.stringify(tenantId)}`,
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
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
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
        );
      }
      if (!existing || apiKey.access === 'write')
        table.set(digest, { tenant: tenant.id, access: apiKey.access });
    }
  }
  return table;
}

export { hashKey };
