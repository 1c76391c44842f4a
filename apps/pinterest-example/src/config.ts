/** The app's settings: what createRuntime takes, their defaults, and reading them from the environment. */
import { InvalidArgumentError } from '@sf/activity';

export const STORAGE_MODES = ['memory', 'redis', 'cassandra', 'postgres'] as const;
export type StorageMode = (typeof STORAGE_MODES)[number];

export interface CassandraConfig {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
}

export interface PostgresConfig {
  /** The PostgreSQL server of the postgres mode (`postgres://user@host:port/database`). */
  url: string;
  /** The schema that holds every table of the app: feeds, domain records and fanout jobs. */
  schema: string;
  /**
   * `redis` (SF_FEED_CACHE): the flat feeds get a Redis cache (`@sf/storage-tiered`, at
   * REDIS_URL, keys under `<SF_KEY_PREFIX>cache:`) in front of PostgreSQL, which stays the truth.
   */
  feedCache?: 'redis' | undefined;
}

export interface RuntimeConfig {
  storage: StorageMode;
  /** Redis of the redis and cassandra modes (default redis://127.0.0.1:6379). */
  redisUrl: string;
  /** Prefix of every Redis key of the app: feeds, activities, the domain store (default `pinterest:`). */
  keyPrefix: string;
  /** BullMQ key prefix (default `pinterest-bull`; on PostgreSQL the queue's schema namespaces it). */
  queuePrefix: string;
  /** Followers per fanout task. */
  fanoutChunkSize: number;
  /** Authors with more followers are pulled at read time instead of pushed (undefined: always push). */
  maxFanoutFollowers: number | undefined;
  /** Followers active within this window are fanned out to first (HIGH priority). */
  activeWindowMs: number;
  /**
   * Fanouts skip followers who have not opened their home feed for this long (ms), and their
   * feeds are rebuilt when they come back (undefined: off, every follower is written).
   */
  inactiveAfterMs: number | undefined;
  cassandra: CassandraConfig;
  postgres: PostgresConfig;
}

export const defaultConfig: RuntimeConfig = {
  storage: 'memory',
  redisUrl: 'redis://127.0.0.1:6379',
  keyPrefix: 'pinterest:',
  queuePrefix: 'pinterest-bull',
  fanoutChunkSize: 50,
  maxFanoutFollowers: undefined,
  activeWindowMs: 7 * 24 * 3600 * 1000,
  inactiveAfterMs: undefined,
  cassandra: {
    contactPoints: ['127.0.0.1'],
    localDataCenter: 'datacenter1',
    keyspace: 'pinterest_example',
  },
  postgres: {
    url: 'postgres://postgres@127.0.0.1:5432/test',
    schema: 'pinterest',
  },
};

/**
 * A setting the app cannot start with (an environment variable, an option, or a service it
 * cannot reach). `path` names the variable or option (`SF_STORAGE`, `REDIS_URL`); `value` is
 * what was given.
 */
export class ConfigError extends InvalidArgumentError {
  constructor(message: string, options: { path: string; value?: unknown; cause?: unknown }) {
    super(message, { ...options, code: 'SF_PINTEREST_CONFIG' });
  }
}

/** A whole number of 1 or more from the environment, or undefined when unset. */
export function positiveInt(
  env: Record<string, string | undefined>,
  name: string,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new ConfigError(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`, {
      path: name,
      value: raw,
    });
  }
  return Number(raw);
}

/**
 * A PostgreSQL schema name the app can create and quote safely: lower case, digits and `_`, at
 * most 57 characters (the fanout queue's schema adds `_queue` within PostgreSQL's 63).
 */
export const POSTGRES_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,56}$/;

/** The PostgreSQL settings of the environment, checked (`SF_POSTGRES_URL`, `SF_POSTGRES_SCHEMA`). */
export function postgresFromEnv(env: Record<string, string | undefined>): PostgresConfig {
  const url = env.SF_POSTGRES_URL || defaultConfig.postgres.url;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // No host is fine: node-postgres then uses PGHOST or localhost (`postgres:///db?host=/run/postgresql`).
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    throw new ConfigError(
      `SF_POSTGRES_URL must be a postgres://user@host:port/database URL, got ${JSON.stringify(url)}`,
      { path: 'SF_POSTGRES_URL', value: url },
    );
  }
  const schema = env.SF_POSTGRES_SCHEMA || defaultConfig.postgres.schema;
  if (!POSTGRES_SCHEMA_PATTERN.test(schema)) {
    throw new ConfigError(
      `SF_POSTGRES_SCHEMA must be 1 to 57 lower-case letters, digits or _ (not starting with a digit), got ${JSON.stringify(schema)}`,
      { path: 'SF_POSTGRES_SCHEMA', value: schema },
    );
  }
  const feedCache = env.SF_FEED_CACHE || undefined;
  if (feedCache !== undefined && feedCache !== 'redis') {
    throw new ConfigError(
      `SF_FEED_CACHE must be redis or unset, got ${JSON.stringify(feedCache)}`,
      {
        path: 'SF_FEED_CACHE',
        value: feedCache,
      },
    );
  }
  return { url, schema, ...(feedCache ? { feedCache } : {}) };
}

/** The runtime configuration from environment variables (see the README's table). */
export function configFromEnv(
  env: Record<string, string | undefined> = process.env,
): RuntimeConfig {
  const storage = (env.SF_STORAGE || 'memory').toLowerCase();
  if (!(STORAGE_MODES as readonly string[]).includes(storage)) {
    throw new ConfigError(
      `SF_STORAGE must be one of ${STORAGE_MODES.join(', ')}, got ${JSON.stringify(env.SF_STORAGE)}`,
      { path: 'SF_STORAGE', value: env.SF_STORAGE },
    );
  }
  const cassandraPort = env.CASSANDRA_PORT;
  const contactPoints = (env.CASSANDRA_CONTACT_POINTS || '127.0.0.1')
    .split(',')
    .map((point) => point.trim())
    .filter(Boolean)
    .map((point) => (cassandraPort && !point.includes(':') ? `${point}:${cassandraPort}` : point));
  return {
    storage: storage as StorageMode,
    redisUrl: env.REDIS_URL || defaultConfig.redisUrl,
    keyPrefix: env.SF_KEY_PREFIX ?? defaultConfig.keyPrefix,
    queuePrefix: env.SF_QUEUE_PREFIX || defaultConfig.queuePrefix,
    fanoutChunkSize: positiveInt(env, 'SF_FANOUT_CHUNK_SIZE') ?? defaultConfig.fanoutChunkSize,
    maxFanoutFollowers: positiveInt(env, 'SF_MAX_FANOUT_FOLLOWERS'),
    activeWindowMs: (positiveInt(env, 'SF_ACTIVE_DAYS') ?? 7) * 24 * 3600 * 1000,
    inactiveAfterMs:
      positiveInt(env, 'SF_INACTIVE_MS') ??
      ((days) => (days === undefined ? undefined : days * 24 * 3600 * 1000))(
        positiveInt(env, 'SF_INACTIVE_DAYS'),
      ),
    cassandra: {
      contactPoints,
      localDataCenter: env.CASSANDRA_LOCAL_DC || defaultConfig.cassandra.localDataCenter,
      keyspace: env.SF_CASSANDRA_KEYSPACE || defaultConfig.cassandra.keyspace,
    },
    // Checked in postgres mode only: the other modes do not use these variables.
    postgres:
      storage === 'postgres'
        ? postgresFromEnv(env)
        : {
            url: env.SF_POSTGRES_URL || defaultConfig.postgres.url,
            schema: env.SF_POSTGRES_SCHEMA || defaultConfig.postgres.schema,
          },
  };
}
