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

describe('cassandra storage', () => {
  it('parses contact points, data center, keyspace, replication and consistency, with defaults', () => {
    expect(parseConfig({ storage: { type: 'cassandra' } }).storage).toEqual({
      type: 'cassandra',
      contactPoints: ['127.0.0.1'],
      localDataCenter: 'datacenter1',
      keyspace: 'sf_stream_server',
      replication: { class: 'SimpleStrategy', replication_factor: 1 },
      keyPrefix: 'sf:stream:',
      redis: {},
    });
    expect(
      parseConfig({
        storage: {
          type: 'cassandra',
          contactPoints: ['127.0.0.1:9242', '127.0.0.2:9242', '127.0.0.3:9242'],
          localDataCenter: 'dc-1',
          keyspace: 'feeds',
          replication: 3,
          consistency: 'quorum',
          keyPrefix: 'app:',
          redis: { url: 'redis://10.0.0.5:6379' },
        },
      }).storage,
    ).toEqual({
      type: 'cassandra',
      contactPoints: ['127.0.0.1:9242', '127.0.0.2:9242', '127.0.0.3:9242'],
      localDataCenter: 'dc-1',
      keyspace: 'feeds',
      replication: { class: 'SimpleStrategy', replication_factor: 3 },
      consistency: 'QUORUM',
      keyPrefix: 'app:',
      redis: { url: 'redis://10.0.0.5:6379' },
    });
    expect(
      parseConfig({
        storage: {
          type: 'cassandra',
          replication: { class: 'NetworkTopologyStrategy', eu: 3, us: '2' },
          consistency: 'LOCAL_QUORUM',
          redis: { clusterNodes: ['127.0.0.1:7000'] },
        },
      }).storage,
    ).toMatchObject({
      replication: { class: 'NetworkTopologyStrategy', eu: 3, us: 2 },
      consistency: 'LOCAL_QUORUM',
      redis: { clusterNodes: ['127.0.0.1:7000'] },
    });
  });

  it.each([
    [{ contactPoints: [] }, 'storage.contactPoints', []],
    [{ contactPoints: '' }, 'storage.contactPoints', ''],
    [{ contactPoints: ['a b'] }, 'storage.contactPoints', 'a b'],
    [{ contactPoints: ['h:0'] }, 'storage.contactPoints', 'h:0'],
    [{ contactPoints: ['h:70000'] }, 'storage.contactPoints', 'h:70000'],
    [{ contactPoints: ['a:9042', 'b:9242'] }, 'storage.contactPoints', ['a:9042', 'b:9242']],
    [{ localDataCenter: '' }, 'storage.localDataCenter', ''],
    [{ keyspace: 'Feeds' }, 'storage.keyspace', 'Feeds'],
    [{ keyspace: '1feeds' }, 'storage.keyspace', '1feeds'],
    [{ keyspace: 'k'.repeat(49) }, 'storage.keyspace', 'k'.repeat(49)],
    [{ replication: 0 }, 'storage.replication', 0],
    [{ replication: 'three' }, 'storage.replication', 'three'],
    [
      { replication: { class: 'SimpleStrategy' } },
      'storage.replication.replication_factor',
      undefined,
    ],
    [
      { replication: { class: 'SimpleStrategy', replication_factor: 1.5 } },
      'storage.replication.replication_factor',
      1.5,
    ],
    [
      { replication: { class: 'SimpleStrategy', replication_factor: 3, dc1: 3 } },
      'storage.replication',
      'dc1',
    ],
    [{ replication: { class: 'NetworkTopologyStrategy' } }, 'storage.replication', undefined],
    [{ replication: { class: 'NetworkTopologyStrategy', dc1: -1 } }, 'storage.replication.dc1', -1],
    [{ replication: { class: 'LocalStrategy' } }, 'storage.replication.class', 'LocalStrategy'],
    [{ consistency: 'MOST' }, 'storage.consistency', 'MOST'],
    [{ consistency: 'LOCAL_SERIAL' }, 'storage.consistency', 'LOCAL_SERIAL'],
    [{ consistency: 1 }, 'storage.consistency', 1],
    [{ consistency: 'THREE', replication: 2 }, 'storage.consistency', 'THREE'],
    [{ keyPrefix: 'a{b}' }, 'storage.keyPrefix', 'a{b}'],
    [{ redis: 'redis://x' }, 'storage.redis', 'redis://x'],
    [{ redis: { url: 'http://x' } }, 'storage.redis.url', 'http://x'],
    [{ redis: { clusterNodes: ['x'] } }, 'storage.redis.clusterNodes', ['x']],
    [{ url: 'redis://x' }, 'storage', 'url'],
  ])('refuses %j with a ConfigError naming %s', (fields, path, value) => {
    let error: unknown;
    try {
      parseConfig({ storage: { type: 'cassandra', ...fields } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ path, code: 'SF_STREAM_SERVER_CONFIG' });
    if (value !== undefined)
      expect((error as ConfigError & { value: unknown }).value).toEqual(value);
    expect((error as Error).message).toContain(`config ${path}:`);
  });

  it('takes STREAM_SERVER_STORAGE=cassandra and the CASSANDRA_* variables from the environment', () => {
    const config = applyEnvironment(parseConfig({}), {
      STREAM_SERVER_STORAGE: 'cassandra',
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:9242, 127.0.0.2:9242,127.0.0.3:9242',
      CASSANDRA_LOCAL_DC: 'datacenter1',
      CASSANDRA_KEYSPACE: 'cluster_feeds',
      CASSANDRA_REPLICATION: '3',
      CASSANDRA_CONSISTENCY: 'QUORUM',
      REDIS_URL: 'redis://127.0.0.1:6380',
    });
    expect(config.storage).toEqual({
      type: 'cassandra',
      contactPoints: ['127.0.0.1:9242', '127.0.0.2:9242', '127.0.0.3:9242'],
      localDataCenter: 'datacenter1',
      keyspace: 'cluster_feeds',
      replication: { class: 'SimpleStrategy', replication_factor: 3 },
      consistency: 'QUORUM',
      keyPrefix: 'sf:stream:',
      redis: { url: 'redis://127.0.0.1:6380' },
    });
    // The file's storage is kept; the variables only change what they name.
    const kept = applyEnvironment(
      parseConfig({ storage: { type: 'cassandra', keyspace: 'mine', replication: 3 } }),
      { CASSANDRA_REPLICATION: 'dc1:3,dc2:2', REDIS_CLUSTER_NODES: '127.0.0.1:7000' },
    ).storage;
    expect(kept).toMatchObject({
      keyspace: 'mine',
      replication: { class: 'NetworkTopologyStrategy', dc1: 3, dc2: 2 },
      redis: { clusterNodes: ['127.0.0.1:7000'] },
    });
    const refused = (env: Record<string, string>, path: string) =>
      expect(() =>
        applyEnvironment(
          parseConfig({ storage: { type: 'cassandra', consistency: 'THREE', replication: 3 } }),
          env,
        ),
      ).toThrow(expect.objectContaining({ path, code: 'SF_STREAM_SERVER_CONFIG' }));
    refused({ CASSANDRA_CONTACT_POINTS: ' , ' }, 'CASSANDRA_CONTACT_POINTS');
    refused({ CASSANDRA_CONTACT_POINTS: 'a:9042,b:9242' }, 'CASSANDRA_CONTACT_POINTS');
    refused({ CASSANDRA_LOCAL_DC: 'dc 1' }, 'CASSANDRA_LOCAL_DC');
    refused({ CASSANDRA_KEYSPACE: 'my-feeds' }, 'CASSANDRA_KEYSPACE');
    refused({ CASSANDRA_REPLICATION: '0' }, 'CASSANDRA_REPLICATION');
    refused({ CASSANDRA_REPLICATION: 'dc1=3' }, 'CASSANDRA_REPLICATION');
    refused({ CASSANDRA_CONSISTENCY: 'STRONG' }, 'CASSANDRA_CONSISTENCY');
    // The file's THREE no longer fits a replication of one copy from the environment.
    refused({ CASSANDRA_REPLICATION: '1' }, 'storage.consistency');
    expect(() =>
      applyEnvironment(parseConfig({}), { STREAM_SERVER_STORAGE: 'cassandras' }),
    ).toThrow(/memory, redis, postgres or cassandra/);
  });
});
