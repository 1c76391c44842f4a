import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  apiKeyTable,
  applyEnvironment,
  hashKey,
  loadConfig,
  parseConfig,
} from './config.js';
import { feedSchema } from './config/storage.js';

const feeds = [
  { name: 'user', type: 'flat', keyFormat: 'user:{userId}', role: 'user' },
  { name: 'timeline', type: 'flat', keyFormat: 'feed:{userId}' },
];

describe('parseConfig', () => {
  it('reads the Redis feed cache of the postgres storage, from the file or the environment', () => {
    expect(
      parseConfig({ storage: { type: 'postgres', feedCache: { maxLength: 50 } } }).storage,
    ).toMatchObject({
      type: 'postgres',
      feedCache: { keyPrefix: 'sf:stream:cache:', maxLength: 50 },
    });
    expect(() =>
      parseConfig({ storage: { type: 'postgres', feedCache: { url: 'http://x', maxLength: 0 } } }),
    ).toThrow('storage.feedCache.url');
    const fromEnv = applyEnvironment(parseConfig({ storage: { type: 'postgres' } }), {
      STREAM_SERVER_FEED_CACHE: 'redis',
      REDIS_URL: 'redis://10.0.0.5:6379',
    });
    expect(fromEnv.storage).toMatchObject({
      feedCache: { url: 'redis://10.0.0.5:6379', maxLength: 100 },
    });
    expect(() => applyEnvironment(parseConfig({}), { STREAM_SERVER_FEED_CACHE: 'redis' })).toThrow(
      'STREAM_SERVER_FEED_CACHE must be redis, with the postgres storage',
    );
  });

  it('loads the checked-in example', () => {
    const config = loadConfig(
      fileURLToPath(new URL('../stream-server.config.json', import.meta.url)),
      {},
    );
    expect(config.itemKeys).toEqual(['user', 'kind', 'repo']);
    expect(config.feeds.map((feed) => [feed.name, feed.fanout])).toEqual([
      ['user', false],
      ['timeline', true],
      ['aggregated', true],
      ['notification', false],
    ]);
    expect(config.storage).toEqual({ type: 'memory' });
    expect(config.tenants[0]!.id).toBe('demo');
  });

  it('applies defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      itemKeys: [],
      feeds: [],
      storage: { type: 'memory' },
      fanout: 'await',
    });
    expect(config.limits.bodyBytes).toBe(65536);
    expect(config.limits).toMatchObject({
      jsonDepth: 64,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      idleTimeoutMs: 60_000,
      connectionsPerClient: 64,
    });
  });

  it.each([
    [{ extra: 1 }, 'unknown field "extra"'],
    [{ items: { keys: ['a b'] } }, 'items.keys[0]'],
    [{ items: { keys: ['start'] } }, 'reserved for paging'],
    [{ items: { keys: ['a', 'a'] } }, 'duplicates'],
    [{ feeds: [{ ...feeds[0], keyFormat: 'user:{userId}:x' }] }, 'feeds[0].keyFormat'],
    [{ feeds: [{ ...feeds[0], keyFormat: 'user{userId}' }] }, 'feeds[0].keyFormat'],
    [{ feeds: [{ ...feeds[0], keyFormat: 'global:{userId}' }] }, 'used by the storage itself'],
    [{ feeds: [feeds[0], { ...feeds[1], keyFormat: 'user:x:{userId}' }] }, 'overlaps'],
    [{ feeds: [feeds[1]] }, 'exactly one flat feed with "role": "user"'],
    [{ feeds: [feeds[0], { ...feeds[1], name: 'user' }] }, 'duplicate feed name'],
    [{ feeds: [{ ...feeds[0], type: 'aggregated' }] }, 'only a flat feed can be the user feed'],
    [
      { feeds: [feeds[0], { ...feeds[1], aggregator: 'verb-day' }] },
      'only aggregated and notification feeds',
    ],
    [{ tenants: [{ id: 'Acme', apiKeys: [] }] }, 'tenants[0].id'],
    [{ tenants: [{ id: 'a:b', apiKeys: [] }] }, 'tenants[0].id'],
    [{ tenants: [{ id: 'a', apiKeys: [{ key: 'short', access: 'write' }] }] }, '8 to 256'],
    [{ tenants: [{ id: 'a', apiKeys: [{ key: 'long-enough-key', access: 'admin' }] }] }, 'access'],
    [{ tenants: [{ id: 'a', apiKeys: [{ access: 'read' }] }] }, 'exactly one of key and sha256'],
    [{ storage: { type: 'mysql' } }, 'storage.type'],
    [{ storage: { type: 'redis', keyPrefix: '{x}' } }, 'storage.keyPrefix'],
    [{ limits: { bodyBytes: 0 } }, 'limits.bodyBytes'],
    [{ limits: { jsonDepth: 0 } }, 'limits.jsonDepth'],
    [{ limits: { requestTimeoutMs: 1.5 } }, 'limits.requestTimeoutMs'],
    [{ limits: { connectionsPerClient: '10' } }, 'limits.connectionsPerClient'],
    [{ limits: { headersTimeoutMs: 5000, requestTimeoutMs: 4000 } }, 'limits.headersTimeoutMs'],
    [{ verbs: [{ id: 1000, infinitive: 'x', pastTense: 'y' }] }, 'verbs[0].id'],
  ])('refuses %j (%s)', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(message);
  });
});

describe('environment', () => {
  it('overrides host, port, storage and adds API keys', () => {
    const config = applyEnvironment(parseConfig({ tenants: [{ id: 'demo', apiKeys: [] }] }), {
      HOST: '0.0.0.0',
      PORT: '0',
      STREAM_SERVER_STORAGE: 'redis',
      REDIS_URL: 'redis://example:6380',
      STREAM_SERVER_API_KEYS: 'demo:write:key-with:colons-1, other:read:another-key-2',
    });
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(0);
    expect(config.storage).toEqual({
      type: 'redis',
      keyPrefix: 'sf:stream:',
      url: 'redis://example:6380',
    });
    const table = apiKeyTable(config);
    expect(table.get(hashKey('key-with:colons-1'))).toEqual({ tenant: 'demo', access: 'write' });
    expect(table.get(hashKey('another-key-2'))).toEqual({ tenant: 'other', access: 'read' });
  });

  it('refuses malformed values', () => {
    expect(() => applyEnvironment(parseConfig({}), { PORT: 'http' })).toThrow('PORT');
    expect(() => applyEnvironment(parseConfig({}), { STREAM_SERVER_API_KEYS: 'demo:key' })).toThrow(
      'tenant:read|write:key',
    );
    expect(() => applyEnvironment(parseConfig({}), { STREAM_SERVER_STORAGE: 'disk' })).toThrow(
      'STREAM_SERVER_STORAGE',
    );
  });

  it('refuses one key for two tenants', () => {
    const config = parseConfig({
      tenants: [
        { id: 'a', apiKeys: [{ key: 'same-key-123', access: 'read' }] },
        { id: 'b', apiKeys: [{ sha256: hashKey('same-key-123'), access: 'write' }] },
      ],
    });
    expect(() => apiKeyTable(config)).toThrow('two tenants');
  });

  it('reports unreadable and invalid files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stream-server-'));
    expect(() => loadConfig(join(dir, 'missing.json'), {})).toThrow('cannot read config file');
    writeFileSync(join(dir, 'bad.json'), '{');
    expect(() => loadConfig(join(dir, 'bad.json'), {})).toThrow('not valid JSON');
  });
});

describe('postgres storage', () => {
  const url = 'postgres://app:s3cret@db.example:5432/app';

  it('parses url, schema and poolSize, with defaults', () => {
    expect(parseConfig({ storage: { type: 'postgres', url } }).storage).toEqual({
      type: 'postgres',
      url,
      schema: 'sf_stream_server',
      poolSize: 10,
    });
    expect(
      parseConfig({
        storage: { type: 'postgres', url: 'postgresql://h/db', schema: 'feeds_2', poolSize: 4 },
      }).storage,
    ).toEqual({ type: 'postgres', url: 'postgresql://h/db', schema: 'feeds_2', poolSize: 4 });
    // No url: node-postgres's own defaults (PGHOST, PGUSER, ...).
    expect(parseConfig({ storage: { type: 'postgres' } }).storage).toMatchObject({
      type: 'postgres',
      url: undefined,
    });
  });

  it.each([
    [{ type: 'postgres', url: 'redis://h:6379' }, 'storage.url', 'redis://h:6379'],
    [{ type: 'postgres', url: 'not a url' }, 'storage.url', undefined],
    [{ type: 'postgres', url: 42 }, 'storage.url', undefined],
    [{ type: 'postgres', schema: 'Feeds' }, 'storage.schema', 'Feeds'],
    [{ type: 'postgres', schema: 'pg_feeds' }, 'storage.schema', 'pg_feeds'],
    [{ type: 'postgres', schema: 'a;drop' }, 'storage.schema', 'a;drop'],
    [{ type: 'postgres', schema: 'x'.repeat(64) }, 'storage.schema', 'x'.repeat(64)],
    [{ type: 'postgres', poolSize: 0 }, 'storage.poolSize', 0],
    [{ type: 'postgres', poolSize: 2.5 }, 'storage.poolSize', 2.5],
    [{ type: 'postgres', poolSize: 1001 }, 'storage.poolSize', 1001],
    [{ type: 'postgres', keyPrefix: 'x:' }, 'storage', 'keyPrefix'],
  ])('refuses %j with a ConfigError naming %s', (storage, path, value) => {
    let error: unknown;
    try {
      parseConfig({ storage });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ path, value, code: 'SF_STREAM_SERVER_CONFIG' });
    expect((error as Error).message).toContain(`config ${path}:`);
  });

  it('never shows the password of a URL it refuses', () => {
    const bad = 'mysql://app:s3cret@db.example/app';
    let error: unknown;
    try {
      parseConfig({ storage: { type: 'postgres', url: bad } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ path: 'storage.url', value: 'mysql://app:***@db.example/app' });
    expect((error as Error).message).not.toContain('s3cret');
  });

  it("gives each tenant's feeds a schema of their own, refusing names PostgreSQL cannot hold", () => {
    expect(feedSchema('sf_stream_server', 'acme-eu_1')).toBe('sf_stream_server_t_acme_eu_1');
    const storage = { type: 'postgres', url };
    const tenant = (id: string) => ({ id, apiKeys: [] });
    expect(() => parseConfig({ feeds, storage, tenants: [tenant('a-b'), tenant('a_b')] })).toThrow(
      expect.objectContaining({ path: 'tenants', value: ['a-b', 'a_b'] }),
    );
    const long = 'x'.repeat(32);
    expect(() =>
      parseConfig({
        feeds,
        storage: { ...storage, schema: 'y'.repeat(30) },
        tenants: [tenant(long)],
      }),
    ).toThrow(expect.objectContaining({ path: 'tenants', value: long }));
    // Without feeds there are no feed schemas; the environment's tenants are checked too.
    expect(() => parseConfig({ storage, tenants: [tenant('a-b'), tenant('a_b')] })).not.toThrow();
    expect(() =>
      applyEnvironment(parseConfig({ feeds, storage, tenants: [tenant('a-b')] }), {
        STREAM_SERVER_API_KEYS: 'a_b:read:a-long-enough-key',
      }),
    ).toThrow(expect.objectContaining({ path: 'tenants' }));
  });

  it('takes STREAM_SERVER_STORAGE=postgres and POSTGRES_URL from the environment', () => {
    const config = applyEnvironment(parseConfig({}), {
      STREAM_SERVER_STORAGE: 'postgres',
      POSTGRES_URL: url,
    });
    expect(config.storage).toEqual({
      type: 'postgres',
      url,
      schema: 'sf_stream_server',
      poolSize: 10,
    });
    const kept = applyEnvironment(
      parseConfig({ storage: { type: 'postgres', schema: 'mine', poolSize: 3 } }),
      { STREAM_SERVER_STORAGE: 'postgres' },
    );
    expect(kept.storage).toEqual({ type: 'postgres', schema: 'mine', poolSize: 3 });
    expect(() =>
      applyEnvironment(parseConfig({}), {
        STREAM_SERVER_STORAGE: 'postgres',
        POSTGRES_URL: 'http://x',
      }),
    ).toThrow(expect.objectContaining({ path: 'POSTGRES_URL' }));
  });
});
