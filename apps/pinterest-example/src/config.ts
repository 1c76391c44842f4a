/** The app's settings: what createRuntime takes, their defaults, and reading them from the environment. */
import { InvalidArgumentError } from '@sf/activity';

export const STORAGE_MODES = ['memory', 'redis', 'cassandra'] as const;
export type StorageMode = (typeof STORAGE_MODES)[number];

export interface CassandraConfig {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
}

export interface RuntimeConfig {
  storage: StorageMode;
  /** Redis of the redis and cassandra modes (default redis://127.0.0.1:6379). */
  redisUrl: string;
  /** Prefix of every Redis key of the app: feeds, activities, the domain store (default `pinterest:`). */
  keyPrefix: string;
  /** BullMQ key prefix (default `pinterest-bull`). */
  queuePrefix: string;
  /** Followers per fanout task. */
  fanoutChunkSize: number;
  /** Authors with more followers are pulled at read time instead of pushed (undefined: always push). */
  maxFanoutFollowers: number | undefined;
  /** Followers active within this window are fanned out to first (HIGH priority). */
  activeWindowMs: number;
  cassandra: CassandraConfig;
}

export const defaultConfig: RuntimeConfig = {
  storage: 'memory',
  redisUrl: 'redis://127.0.0.1:6379',
  keyPrefix: 'pinterest:',
  queuePrefix: 'pinterest-bull',
  fanoutChunkSize: 50,
  maxFanoutFollowers: undefined,
  activeWindowMs: 7 * 24 * 3600 * 1000,
  cassandra: {
    contactPoints: ['127.0.0.1'],
    localDataCenter: 'datacenter1',
    keyspace: 'pinterest_example',
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
    cassandra: {
      contactPoints,
      localDataCenter: env.CASSANDRA_LOCAL_DC || defaultConfig.cassandra.localDataCenter,
      keyspace: env.SF_CASSANDRA_KEYSPACE || defaultConfig.cassandra.keyspace,
    },
  };
}
