import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, createRuntime } from './runtime.js';
import { StatsMetrics } from './stats.js';
import { MemoryStore } from './store.js';

describe('configuration', () => {
  it('reads the modes and their settings from the environment', () => {
    expect(configFromEnv({})).toMatchObject({
      storage: 'memory',
      redisUrl: 'redis://127.0.0.1:6379',
      keyPrefix: 'pinterest:',
      maxFanoutFollowers: undefined,
    });
    const config = configFromEnv({
      SF_STORAGE: 'Redis',
      REDIS_URL: 'redis://10.0.0.1:6380/2',
      SF_KEY_PREFIX: 'p1:',
      SF_QUEUE_PREFIX: 'q1',
      SF_MAX_FANOUT_FOLLOWERS: '500',
      SF_FANOUT_CHUNK_SIZE: '20',
      SF_ACTIVE_DAYS: '3',
      CASSANDRA_CONTACT_POINTS: 'a,b',
      CASSANDRA_PORT: '9043',
    });
    expect(config).toMatchObject({
      storage: 'redis',
      redisUrl: 'redis://10.0.0.1:6380/2',
      keyPrefix: 'p1:',
      queuePrefix: 'q1',
      maxFanoutFollowers: 500,
      fanoutChunkSize: 20,
      activeWindowMs: 3 * 86_400_000,
      cassandra: { contactPoints: ['a:9043', 'b:9043'] },
    });
  });

  it('explains bad settings', () => {
    expect(() => configFromEnv({ SF_STORAGE: 'mongo' })).toThrow(
      new ConfigError('SF_STORAGE must be one of memory, redis, cassandra, postgres, got "mongo"', {
        path: 'SF_STORAGE',
        value: 'mongo',
      }),
    );
    expect(() => configFromEnv({ SF_MAX_FANOUT_FOLLOWERS: 'lots' })).toThrow(
      /SF_MAX_FANOUT_FOLLOWERS must be a positive whole number/,
    );
    expect(() => configFromEnv({ SF_FANOUT_CHUNK_SIZE: '0' })).toThrow(/SF_FANOUT_CHUNK_SIZE/);
  });

  it('reads a Cassandra cluster: per-host ports, replication and consistency (cassandra mode)', () => {
    expect(
      configFromEnv({
        SF_STORAGE: 'cassandra',
        CASSANDRA_CONTACT_POINTS: '127.0.0.1:9242, 127.0.0.2:9242,127.0.0.3:9242',
        SF_CASSANDRA_REPLICATION: '3',
        SF_CASSANDRA_CONSISTENCY: 'quorum',
        SF_CASSANDRA_KEYSPACE: 'pins_cluster',
      }).cassandra,
    ).toEqual({
      contactPoints: ['127.0.0.1:9242', '127.0.0.2:9242', '127.0.0.3:9242'],
      localDataCenter: 'datacenter1',
      keyspace: 'pins_cluster',
      replication: { class: 'SimpleStrategy', replication_factor: 3 },
      consistency: 'QUORUM',
    });
    expect(
      configFromEnv({
        SF_STORAGE: 'cassandra',
        CASSANDRA_CONTACT_POINTS: 'a,b',
        CASSANDRA_PORT: '9243',
        SF_CASSANDRA_REPLICATION: 'eu:3,us:2',
      }).cassandra,
    ).toEqual({
      contactPoints: ['a:9243', 'b:9243'],
      localDataCenter: 'datacenter1',
      keyspace: 'pinterest_example',
      replication: { class: 'NetworkTopologyStrategy', eu: 3, us: 2 },
    });
    // Unset: one copy, and the storage's default consistency (ONE for one copy).
    expect(configFromEnv({ SF_STORAGE: 'cassandra' }).cassandra).toEqual({
      contactPoints: ['127.0.0.1'],
      localDataCenter: 'datacenter1',
      keyspace: 'pinterest_example',
    });
    const refused = (env: Record<string, string>, path: string) => {
      let error: unknown;
      try {
        configFromEnv({ SF_STORAGE: 'cassandra', ...env });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ path, code: 'SF_PINTEREST_CONFIG' });
      expect((error as Error).message).toContain(path);
    };
    refused({ CASSANDRA_CONTACT_POINTS: ' , ' }, 'CASSANDRA_CONTACT_POINTS');
    refused({ CASSANDRA_CONTACT_POINTS: 'a:9042,b:9242' }, 'CASSANDRA_CONTACT_POINTS');
    refused({ CASSANDRA_CONTACT_POINTS: 'a b' }, 'CASSANDRA_CONTACT_POINTS');
    refused({ CASSANDRA_PORT: '99999' }, 'CASSANDRA_PORT');
    refused({ CASSANDRA_LOCAL_DC: 'dc 1' }, 'CASSANDRA_LOCAL_DC');
    refused({ SF_CASSANDRA_KEYSPACE: 'Pins-1' }, 'SF_CASSANDRA_KEYSPACE');
    refused({ SF_CASSANDRA_REPLICATION: '0' }, 'SF_CASSANDRA_REPLICATION');
    refused({ SF_CASSANDRA_REPLICATION: 'three' }, 'SF_CASSANDRA_REPLICATION');
    refused({ SF_CASSANDRA_REPLICATION: 'dc1:3:1' }, 'SF_CASSANDRA_REPLICATION');
    refused({ SF_CASSANDRA_CONSISTENCY: 'STRONG' }, 'SF_CASSANDRA_CONSISTENCY');
    refused({ SF_CASSANDRA_CONSISTENCY: 'LOCAL_SERIAL' }, 'SF_CASSANDRA_CONSISTENCY');
    refused({ SF_CASSANDRA_CONSISTENCY: 'THREE' }, 'SF_CASSANDRA_CONSISTENCY');
    // Other modes do not read these variables, so they do not refuse them either.
    expect(() => configFromEnv({ SF_CASSANDRA_CONSISTENCY: 'STRONG' })).not.toThrow();
  });

  it('reads the Redis feed cache of the postgres mode (SF_FEED_CACHE)', () => {
    expect(configFromEnv({ SF_STORAGE: 'postgres' }).postgres.feedCache).toBeUndefined();
    expect(
      configFromEnv({ SF_STORAGE: 'postgres', SF_FEED_CACHE: 'redis' }).postgres.feedCache,
    ).toBe('redis');
    expect(() => configFromEnv({ SF_STORAGE: 'postgres', SF_FEED_CACHE: 'memcached' })).toThrow(
      new ConfigError('SF_FEED_CACHE must be redis or unset, got "memcached"', {
        path: 'SF_FEED_CACHE',
        value: 'memcached',
      }),
    );
  });

  it('reads the postgres mode and checks its URL and schema', () => {
    expect(configFromEnv({ SF_STORAGE: 'postgres' })).toMatchObject({
      storage: 'postgres',
      postgres: { url: 'postgres://postgres@127.0.0.1:5432/test', schema: 'pinterest' },
    });
    expect(
      configFromEnv({
        SF_STORAGE: 'PostgreS',
        SF_POSTGRES_URL: 'postgresql://app:secret@db.internal:6432/pins',
        SF_POSTGRES_SCHEMA: `pins_${'x'.repeat(52)}`,
      }).postgres,
    ).toEqual({
      url: 'postgresql://app:secret@db.internal:6432/pins',
      schema: `pins_${'x'.repeat(52)}`,
    });
    for (const url of ['redis://127.0.0.1:6379', 'not a url', 'http://db/pins']) {
      expect(() => configFromEnv({ SF_STORAGE: 'postgres', SF_POSTGRES_URL: url })).toThrow(
        new ConfigError(
          `SF_POSTGRES_URL must be a postgres://user@host:port/database URL, got ${JSON.stringify(url)}`,
          { path: 'SF_POSTGRES_URL', value: url },
        ),
      );
    }
    expect(
      configFromEnv({ SF_STORAGE: 'postgres', SF_POSTGRES_URL: 'postgres:///pins' }).postgres.url,
    ).toBe('postgres:///pins');
    // The other modes do not use (or check) the PostgreSQL variables.
    expect(configFromEnv({ SF_STORAGE: 'redis', SF_POSTGRES_SCHEMA: 'Bad-Name' }).storage).toBe(
      'redis',
    );
    for (const schema of ['Pins', '1pins', 'pins-x', 'a'.repeat(58), 'x"; drop']) {
      expect(() => configFromEnv({ SF_STORAGE: 'postgres', SF_POSTGRES_SCHEMA: schema })).toThrow(
        expect.objectContaining({
          name: 'ConfigError',
          code: 'SF_PINTEREST_CONFIG',
          path: 'SF_POSTGRES_SCHEMA',
          value: schema,
        }),
      );
    }
  });

  it('says clearly when PostgreSQL is not reachable, naming the variable', async () => {
    const url = 'postgres://postgres:secret@127.0.0.1:1/test';
    const failure = createRuntime({ storage: 'postgres', postgres: { url, schema: 'unused' } });
    await expect(failure).rejects.toThrow(
      /^cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test \(.*ECONNREFUSED.*\); start it with scripts\/postgres\.sh start or set SF_POSTGRES_URL$/,
    );
    await expect(failure).rejects.toMatchObject({
      name: 'ConfigError',
      path: 'SF_POSTGRES_URL',
      value: 'postgres://postgres:***@127.0.0.1:1/test',
    });
    // The refusal is immediate; the time is the first import of pg, BullMQ and the storage through
    // vitest's transform, which took 35 s on a 2-core machine at load average 50 (a CI run failed on
    // the 30 s default).
  }, 120_000);

  it('says clearly when Redis is not reachable', async () => {
    await expect(
      createRuntime({ storage: 'redis', redisUrl: 'redis://127.0.0.1:1' }),
    ).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  }, 120_000);
});

describe('stats', () => {
  it('counts in-process fanout tasks per priority', async () => {
    const runtime = await createRuntime({ storage: 'memory' });
    try {
      const [author, high, low] = await Promise.all(
        ['Author', 'Active', 'Idle'].map((name, i) =>
          runtime.store.createUser({ name, handle: name.toLowerCase(), hue: i, createdAt: 0 }),
        ),
      );
      await runtime.store.follow(high!.id, author!.id);
      await runtime.store.follow(low!.id, author!.id);
      await runtime.store.touch(high!.id, Date.now());
      await runtime.store.touch(low!.id, Date.now() - 30 * 86_400_000);
      const board = await runtime.store.createBoard({
        userId: author!.id,
        name: 'B',
        createdAt: 0,
      });
      const { pinActivity } = await import('./feeds.js');
      const pin = await runtime.store.createPin({
        userId: author!.id,
        boardId: board.id,
        title: 'T',
        hue: 1,
        pattern: 'dots',
        createdAt: Date.now(),
      });
      const handle = await runtime.manager.addUserActivity(author!.id, pinActivity(pin));
      await handle.wait();
      const stats = await runtime.queueStats();
      // One task per feed (normal, aggregated) per priority.
      expect(stats.counts.HIGH).toEqual({
        waiting: 0,
        active: 0,
        delayed: 0,
        completed: 2,
        failed: 0,
      });
      expect(stats.counts.LOW).toEqual({
        waiting: 0,
        active: 0,
        delayed: 0,
        completed: 2,
        failed: 0,
      });
      await runtime.metrics.flush();
      const counters = await runtime.store.readStats();
      expect(counters['fanout_tasks.normal']).toBe(2);
      expect(counters['fanout_add.aggregated']).toBe(2);
      expect(counters.published).toBe(1);
    } finally {
      await runtime.close();
    }
  });

  it('never throws from a metrics call, even when the store fails', async () => {
    const store = new MemoryStore();
    store.addStats = () => Promise.reject(new Error('down'));
    const metrics = new StatsMetrics(store, { flushIntervalMs: 10_000 });
    metrics.onFanout('normal', 'add', 3);
    metrics.fanoutTimer('normal').stop();
    await expect(metrics.close()).resolves.toBeUndefined();
  });
});
