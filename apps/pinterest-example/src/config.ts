/** The app's settings: what createRuntime takes, their defaults, and reading them from the environment. */
import { InvalidArgumentError } from '@sf/activity';

export const STORAGE_MODES = ['memory', 'redis', 'cassandra', 'postgres'] as const;
export type StorageMode = (typeof STORAGE_MODES)[number];

/** A CQL consistency level of plain reads and writes (`@sf/storage-cassandra`'s `consistency`). */
export const CASSANDRA_CONSISTENCIES = [
  'ANY',
  'ONE',
  'TWO',
  'THREE',
  'QUORUM',
  'ALL',
  'LOCAL_QUORUM',
  'EACH_QUORUM',
  'LOCAL_ONE',
] as const;
export type CassandraConsistency = (typeof CASSANDRA_CONSISTENCIES)[number];

export interface CassandraConfig {
  /** Seed nodes, `host` or `host:port` (one port for all: the driver reaches the others on it). */
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  /**
   * Replication of the keyspace when the app creates it: `{ class: 'SimpleStrategy',
   * replication_factor: 3 }` or `{ class: 'NetworkTopologyStrategy', dc1: 3 }` (default: one copy).
   */
  replication?: Readonly<Record<string, string | number>>;
  /**
   * Reads and writes of the feeds; absent: the storage's default, QUORUM when the keyspace keeps
   * more than one copy (LOCAL_QUORUM with NetworkTopologyStrategy), ONE for one copy.
   */
  consistency?: CassandraConsistency;
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

/** Cassandra's rule for keyspace names, lower case so they never need quoting. */
const KEYSPACE_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;
const CONTACT_POINT_PATTERN = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;
const DATA_CENTER_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

function copiesOf(name: string, raw: string): number {
  const copies = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(copies >= 1 && copies <= 100))
    throw new ConfigError(
      `${name} must give 1 to 100 copies (3, or dc1:3,dc2:2), got ${JSON.stringify(raw)}`,
      { path: name, value: raw },
    );
  return copies;
}

/**
 * The Cassandra settings of the environment, checked (cassandra mode): contact points
 * (`CASSANDRA_CONTACT_POINTS`, each `host` or `host:port`, `CASSANDRA_PORT` for those without),
 * `CASSANDRA_LOCAL_DC`, `SF_CASSANDRA_KEYSPACE`, `SF_CASSANDRA_REPLICATION` (`3`: SimpleStrategy
 * with 3 copies; `dc1:3,dc2:2`: NetworkTopologyStrategy) and `SF_CASSANDRA_CONSISTENCY`.
 */
export function cassandraFromEnv(env: Record<string, string | undefined>): CassandraConfig {
  const port = env.CASSANDRA_PORT || undefined;
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
    throw new ConfigError(
      `CASSANDRA_PORT must be a port from 1 to 65535, got ${JSON.stringify(port)}`,
      {
        path: 'CASSANDRA_PORT',
        value: port,
      },
    );
  const raw = env.CASSANDRA_CONTACT_POINTS || defaultConfig.cassandra.contactPoints.join(',');
  const contactPoints = raw
    .split(',')
    .map((point) => point.trim())
    .filter(Boolean)
    .map((point) => (port && !point.includes(':') ? `${point}:${port}` : point));
  const ports = new Set<string>();
  for (const point of contactPoints) {
    const match = CONTACT_POINT_PATTERN.exec(point);
    if (!match || (match[2] !== undefined && !(Number(match[2]) >= 1 && Number(match[2]) <= 65535)))
      throw new ConfigError(
        `CASSANDRA_CONTACT_POINTS: each must be host or host:port, got ${JSON.stringify(point)}`,
        { path: 'CASSANDRA_CONTACT_POINTS', value: point },
      );
    ports.add(match[2] ?? '9042');
  }
  if (contactPoints.length === 0 || ports.size > 1)
    throw new ConfigError(
      `CASSANDRA_CONTACT_POINTS must list at least one node, all on one port (the driver reaches the nodes it discovers on it), got ${JSON.stringify(raw)}`,
      { path: 'CASSANDRA_CONTACT_POINTS', value: raw },
    );
  const localDataCenter = env.CASSANDRA_LOCAL_DC || defaultConfig.cassandra.localDataCenter;
  if (!DATA_CENTER_PATTERN.test(localDataCenter))
    throw new ConfigError(
      `CASSANDRA_LOCAL_DC must be a data center name (letters, digits, _ . -), got ${JSON.stringify(localDataCenter)}`,
      { path: 'CASSANDRA_LOCAL_DC', value: localDataCenter },
    );
  const keyspace = env.SF_CASSANDRA_KEYSPACE || defaultConfig.cassandra.keyspace;
  if (!KEYSPACE_PATTERN.test(keyspace))
    throw new ConfigError(
      `SF_CASSANDRA_KEYSPACE must be a lower-case letter then up to 47 lower-case letters, digits or _, got ${JSON.stringify(keyspace)}`,
      { path: 'SF_CASSANDRA_KEYSPACE', value: keyspace },
    );
  const config: CassandraConfig = { contactPoints, localDataCenter, keyspace };
  const replication = env.SF_CASSANDRA_REPLICATION?.trim() || undefined;
  let copies = 1;
  if (replication !== undefined) {
    if (/^\d+$/.test(replication)) {
      copies = copiesOf('SF_CASSANDRA_REPLICATION', replication);
      config.replication = { class: 'SimpleStrategy', replication_factor: copies };
    } else {
      const centers: Record<string, number> = {};
      for (const entry of replication.split(',')) {
        const [center, count, extra] = entry.split(':').map((part) => part.trim());
        if (
          !center ||
          !DATA_CENTER_PATTERN.test(center) ||
          count === undefined ||
          extra !== undefined
        )
          throw new ConfigError(
            `SF_CASSANDRA_REPLICATION must be a number of copies (3) or data center:copies pairs (dc1:3,dc2:2), got ${JSON.stringify(replication)}`,
            { path: 'SF_CASSANDRA_REPLICATION', value: replication },
          );
        centers[center] = copiesOf('SF_CASSANDRA_REPLICATION', count);
      }
      copies = Math.max(...Object.values(centers));
      config.replication = { class: 'NetworkTopologyStrategy', ...centers };
    }
  }
  const consistency = env.SF_CASSANDRA_CONSISTENCY?.trim() || undefined;
  if (consistency !== undefined) {
    const level = CASSANDRA_CONSISTENCIES.find((name) => name === consistency.toUpperCase());
    if (!level)
      throw new ConfigError(
        `SF_CASSANDRA_CONSISTENCY must be one of ${CASSANDRA_CONSISTENCIES.join(', ')}, got ${JSON.stringify(consistency)}`,
        { path: 'SF_CASSANDRA_CONSISTENCY', value: consistency },
      );
    const needed = level === 'TWO' ? 2 : level === 'THREE' ? 3 : 1;
    if (needed > copies)
      throw new ConfigError(
        `SF_CASSANDRA_CONSISTENCY ${level} needs ${needed} copies, but the keyspace keeps ${copies} (SF_CASSANDRA_REPLICATION)`,
        { path: 'SF_CASSANDRA_CONSISTENCY', value: consistency },
      );
    config.consistency = level;
  }
  return config;
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
  // Checked in cassandra mode only, as the PostgreSQL settings: the other modes do not use them.
  const cassandra =
    storage === 'cassandra'
      ? cassandraFromEnv(env)
      : {
          contactPoints,
          localDataCenter: env.CASSANDRA_LOCAL_DC || defaultConfig.cassandra.localDataCenter,
          keyspace: env.SF_CASSANDRA_KEYSPACE || defaultConfig.cassandra.keyspace,
        };
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
    cassandra,
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
