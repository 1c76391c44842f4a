import { createHash } from 'node:crypto';
import { defaultLimits } from './defaults.js';
import { fail, isObject, only, positiveInteger } from './fields.js';
import { checkFeedSchemas, parseStorage } from './storage.js';
import type {
  ApiKeyConfig,
  FeedConfig,
  LimitsConfig,
  RankingConfig,
  ServerConfig,
  TenantConfig,
  VerbConfig,
} from './types.js';

export const tenantPattern = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const itemKeyPattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const feedNamePattern = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;
const keyFormatPattern = /^([A-Za-z0-9_-]+:)+\{userId\}$/;
/** Key spaces the Redis feed storage uses itself (activity hashes, marker lists). */
const reservedFeedPrefixes = ['global:', 'list:'];
/** Item keys the query string uses for paging. */
const reservedItemKeys = new Set(['start', 'end']);

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function parseApiKey(path: string, value: unknown): ApiKeyConfig {
  // Never the value of a key field: it may be a secret.
  if (!isObject(value)) fail(path, 'must be an object { key | sha256, access }');
  only(path, value, ['key', 'sha256', 'access']);
  if (value.access !== 'read' && value.access !== 'write')
    fail(
      `${path}.access`,
      `must be "read" or "write", got ${JSON.stringify(value.access)}`,
      value.access,
    );
  const hasKey = value.key !== undefined;
  const hasHash = value.sha256 !== undefined;
  if (hasKey === hasHash) fail(path, 'needs exactly one of key and sha256');
  if (hasKey && (typeof value.key !== 'string' || value.key.length < 8 || value.key.length > 256)) {
    fail(`${path}.key`, 'must be a string of 8 to 256 characters');
  }
  if (hasHash && (typeof value.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(value.sha256))) {
    fail(`${path}.sha256`, 'must be 64 lowercase hex digits', value.sha256);
  }
  return hasKey
    ? { key: value.key as string, access: value.access }
    : { sha256: value.sha256 as string, access: value.access };
}

function parseFeed(path: string, value: unknown): FeedConfig {
  if (!isObject(value)) fail(path, 'must be an object { name, type, keyFormat, ... }', value);
  only(path, value, [
    'name',
    'type',
    'keyFormat',
    'maxLength',
    'role',
    'fanout',
    'aggregator',
    'index',
    'rankings',
  ]);
  const { name, type, keyFormat } = value;
  if (typeof name !== 'string' || !feedNamePattern.test(name))
    fail(
      `${path}.name`,
      `must be a letter then letters, digits or _ (max 48), got ${JSON.stringify(name)}`,
      name,
    );
  if (type !== 'flat' && type !== 'aggregated' && type !== 'notification')
    fail(
      `${path}.type`,
      `must be flat, aggregated or notification, got ${JSON.stringify(type)}`,
      type,
    );
  if (typeof keyFormat !== 'string' || !keyFormatPattern.test(keyFormat)) {
    fail(
      `${path}.keyFormat`,
      `must be a prefix of letters, digits, _ and - segments each ending with ":" followed by {userId} (e.g. "feed:{userId}"), got ${JSON.stringify(keyFormat)}`,
      keyFormat,
    );
  }
  if (reservedFeedPrefixes.some((prefix) => keyFormat.startsWith(prefix))) {
    fail(
      `${path}.keyFormat`,
      `must not start with ${reservedFeedPrefixes.join(' or ')} (used by the storage itself)`,
      keyFormat,
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
      fail(
        `${path}.role`,
        `must be "user" or absent, got ${JSON.stringify(value.role)}`,
        value.role,
      );
    if (type !== 'flat') fail(`${path}.role`, 'only a flat feed can be the user feed', value.role);
    feed.role = 'user';
  }
  if (value.fanout !== undefined && typeof value.fanout !== 'boolean')
    fail(`${path}.fanout`, 'must be a boolean', value.fanout);
  feed.fanout =
    feed.role === 'user'
      ? false
      : typeof value.fanout === 'boolean'
        ? value.fanout
        : type !== 'notification';
  if (value.aggregator !== undefined) {
    if (type === 'flat')
      fail(
        `${path}.aggregator`,
        'only aggregated and notification feeds have an aggregator',
        value.aggregator,
      );
    if (value.aggregator !== 'verb-day' && value.aggregator !== 'verb-object-day')
      fail(`${path}.aggregator`, 'must be "verb-day" or "verb-object-day"', value.aggregator);
    feed.aggregator = value.aggregator;
  }
  if (value.index !== undefined) feed.index = parseIndex(`${path}.index`, value.index);
  if (value.rankings !== undefined) {
    if (type !== 'flat') fail(`${path}.rankings`, 'only flat feeds have rankings', value.rankings);
    feed.rankings = parseRankings(`${path}.rankings`, value.rankings);
  }
  return feed;
}

/** Query parameters of a feed read: an indexed field may not take one of these names. */
export const FEED_QUERY_PARAMS = [
  'offset',
  'limit',
  'idLt',
  'idLte',
  'idGt',
  'idGte',
  'verb',
  'by',
  'ranking',
  'cursor',
];

function parseIndex(path: string, value: unknown): { verb?: boolean; field?: string } {
  if (!isObject(value)) fail(path, 'must be an object { verb?, field? }', value);
  only(path, value, ['verb', 'field']);
  const index: { verb?: boolean; field?: string } = {};
  if (value.verb !== undefined) {
    if (typeof value.verb !== 'boolean') fail(`${path}.verb`, 'must be a boolean', value.verb);
    index.verb = value.verb;
  }
  if (value.field !== undefined) {
    if (typeof value.field !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value.field))
      fail(
        `${path}.field`,
        `must name one extraContext field (a letter or _, then letters, digits or _; max 63), got ${JSON.stringify(value.field)}`,
        value.field,
      );
    if (FEED_QUERY_PARAMS.includes(value.field))
      fail(
        `${path}.field`,
        `must not be a query parameter of feed reads (${FEED_QUERY_PARAMS.join(', ')})`,
        value.field,
      );
    index.field = value.field;
  }
  return index;
}

const rankingNamePattern = /^[A-Za-z][A-Za-z0-9_-]{0,47}$/;
const extraFieldPattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function parseRankings(path: string, value: unknown): Record<string, RankingConfig> {
  if (!isObject(value)) fail(path, 'must be an object of named rankings', value);
  const rankings: Record<string, RankingConfig> = {};
  for (const [name, ranking] of Object.entries(value)) {
    const at = `${path}.${name}`;
    if (!rankingNamePattern.test(name))
      fail(at, `a ranking name is a letter then letters, digits, _ or - (max 48)`, name);
    if (!isObject(ranking))
      fail(at, 'must be an object { candidates, halfLifeHours, popularityField }', ranking);
    only(at, ranking, ['candidates', 'halfLifeHours', 'popularityField']);
    const candidates = positiveInteger(`${at}.candidates`, ranking.candidates, 100);
    if (candidates > 10_000) fail(`${at}.candidates`, 'must be at most 10000', candidates);
    const halfLifeHours = ranking.halfLifeHours ?? 24;
    if (typeof halfLifeHours !== 'number' || !Number.isFinite(halfLifeHours) || halfLifeHours <= 0)
      fail(
        `${at}.halfLifeHours`,
        `must be a positive number, got ${JSON.stringify(halfLifeHours)}`,
        halfLifeHours,
      );
    const config: RankingConfig = { candidates, halfLifeHours };
    if (ranking.popularityField !== undefined) {
      if (
        typeof ranking.popularityField !== 'string' ||
        !extraFieldPattern.test(ranking.popularityField)
      )
        fail(
          `${at}.popularityField`,
          'must be an extraContext field name (letters, digits, _)',
          ranking.popularityField,
        );
      config.popularityField = ranking.popularityField;
    }
    rankings[name] = config;
  }
  return rankings;
}

/** Validates a parsed config file (and applies defaults); throws ConfigError naming the bad field. */
export function parseConfig(raw: unknown): ServerConfig {
  if (!isObject(raw)) fail('(root)', 'must be a JSON object', raw);
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
    'inactiveFollowers',
  ]);

  const server = raw.server ?? {};
  if (!isObject(server)) fail('server', 'must be an object { host, port }', server);
  only('server', server, ['host', 'port']);
  const host = server.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0)
    fail('server.host', 'must be a non-empty string', host);
  const port = server.port ?? 8080;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    fail('server.port', 'must be an integer from 0 to 65535', port);

  const items = raw.items ?? { keys: [] };
  if (!isObject(items)) fail('items', 'must be an object { keys }', items);
  only('items', items, ['keys']);
  if (!Array.isArray(items.keys)) fail('items.keys', 'must be an array of key names', items.keys);
  const itemKeys = items.keys.map((key, i) => {
    if (typeof key !== 'string' || !itemKeyPattern.test(key))
      fail(
        `items.keys[${i}]`,
        `must be a letter or _ then letters, digits or _ (max 64), got ${JSON.stringify(key)}`,
        key,
      );
    if (reservedItemKeys.has(key))
      fail(`items.keys[${i}]`, `${JSON.stringify(key)} is reserved for paging`, key);
    return key;
  });
  if (new Set(itemKeys).size !== itemKeys.length) fail('items.keys', 'has duplicates', itemKeys);
  if (itemKeys.length > 32) fail('items.keys', 'has more than 32 keys', itemKeys);

  const feedsRaw = raw.feeds ?? [];
  if (!Array.isArray(feedsRaw)) fail('feeds', 'must be an array', feedsRaw);
  const feeds = feedsRaw.map((feed, i) => parseFeed(`feeds[${i}]`, feed));
  const names = new Set<string>();
  for (const [i, feed] of feeds.entries()) {
    if (names.has(feed.name))
      fail(`feeds[${i}].name`, `duplicate feed name ${JSON.stringify(feed.name)}`, feed.name);
    names.add(feed.name);
    const prefix = feed.keyFormat.replace('{userId}', '');
    for (const other of feeds.slice(0, i)) {
      const otherPrefix = other.keyFormat.replace('{userId}', '');
      if (prefix.startsWith(otherPrefix) || otherPrefix.startsWith(prefix)) {
        fail(
          `feeds[${i}].keyFormat`,
          `${JSON.stringify(feed.keyFormat)} overlaps ${JSON.stringify(other.keyFormat)} of feed ${other.name}: key prefixes may not start with one another`,
          feed.keyFormat,
        );
      }
    }
  }
  const userFeeds = feeds.filter((feed) => feed.role === 'user');
  if (feeds.length > 0 && userFeeds.length !== 1)
    fail(
      'feeds',
      `needs exactly one flat feed with "role": "user" (the authors' own feed), found ${userFeeds.length}`,
      feedsRaw,
    );

  const verbsRaw = raw.verbs ?? [];
  if (!Array.isArray(verbsRaw)) fail('verbs', 'must be an array', verbsRaw);
  const verbs = verbsRaw.map((verb, i): VerbConfig => {
    const path = `verbs[${i}]`;
    if (!isObject(verb)) fail(path, 'must be an object { id, infinitive, pastTense }', verb);
    only(path, verb, ['id', 'infinitive', 'pastTense']);
    if (typeof verb.id !== 'number' || !Number.isInteger(verb.id) || verb.id < 1 || verb.id > 999)
      fail(`${path}.id`, 'must be an integer from 1 to 999', verb.id);
    for (const field of ['infinitive', 'pastTense'] as const) {
      const text = verb[field];
      if (typeof text !== 'string' || !/^[a-z][a-z0-9_-]{0,31}$/.test(text))
        fail(`${path}.${field}`, 'must be a lowercase word (max 32)', text);
    }
    return {
      id: verb.id,
      infinitive: verb.infinitive as string,
      pastTense: verb.pastTense as string,
    };
  });

  const tenantsRaw = raw.tenants ?? [];
  if (!Array.isArray(tenantsRaw)) fail('tenants', 'must be an array', tenantsRaw);
  const tenants = tenantsRaw.map((tenant, i): TenantConfig => {
    const path = `tenants[${i}]`;
    if (!isObject(tenant)) fail(path, 'must be an object { id, apiKeys }', tenant);
    only(path, tenant, ['id', 'apiKeys']);
    if (typeof tenant.id !== 'string' || !tenantPattern.test(tenant.id))
      fail(
        `${path}.id`,
        `must be lowercase letters, digits, _ or - (1 to 32, starting with a letter or digit), got ${JSON.stringify(tenant.id)}`,
        tenant.id,
      );
    const apiKeys = tenant.apiKeys ?? [];
    if (!Array.isArray(apiKeys)) fail(`${path}.apiKeys`, 'must be an array');
    return {
      id: tenant.id,
      apiKeys: apiKeys.map((key, j) => parseApiKey(`${path}.apiKeys[${j}]`, key)),
    };
  });
  if (new Set(tenants.map((t) => t.id)).size !== tenants.length)
    fail(
      'tenants',
      'has duplicate ids',
      tenants.map((t) => t.id),
    );

  const storage = parseStorage(raw.storage ?? { type: 'memory' });
  checkFeedSchemas(
    storage,
    tenants.map((t) => t.id),
    feeds.length,
    'tenants',
  );

  const limitsRaw = raw.limits ?? {};
  if (!isObject(limitsRaw)) fail('limits', 'must be an object', limitsRaw);
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
      limits.headersTimeoutMs,
    );

  const fanout = raw.fanout ?? 'await';
  if (fanout !== 'await' && fanout !== 'background')
    fail('fanout', 'must be "await" or "background"', fanout);

  let inactiveFollowers: ServerConfig['inactiveFollowers'] = null;
  if (raw.inactiveFollowers !== undefined && raw.inactiveFollowers !== null) {
    const inactive = raw.inactiveFollowers;
    if (!isObject(inactive))
      fail('inactiveFollowers', 'must be an object { afterMs, retryAfterSeconds }', inactive);
    only('inactiveFollowers', inactive, ['afterMs', 'retryAfterSeconds']);
    const positive = (name: string, value: unknown, fallback?: number): number => {
      const result = value ?? fallback;
      if (typeof result !== 'number' || !Number.isSafeInteger(result) || result < 1)
        fail(`inactiveFollowers.${name}`, 'must be a positive integer', value);
      return result;
    };
    inactiveFollowers = {
      afterMs: positive('afterMs', inactive.afterMs),
      retryAfterSeconds: positive('retryAfterSeconds', inactive.retryAfterSeconds, 2),
    };
  }

  return {
    host,
    port,
    itemKeys,
    feeds,
    verbs,
    tenants,
    storage,
    limits,
    fanout,
    inactiveFollowers,
  };
}
