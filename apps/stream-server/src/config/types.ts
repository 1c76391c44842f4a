/** The stream server's configuration, as `parseConfig` returns it (defaults applied). */
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
  /**
   * What reads may filter and count by: the verb (`?verb=love`) and one `extraContext` field
   * (`?board=b12`), kept as indexes at write time on flat feeds (memory, Redis, PostgreSQL).
   */
  index?: { verb?: boolean; field?: string };
  /** Flat feeds: named rankings, read with `?ranking=<name>` (see "Ranked reads" in the README). */
  rankings?: Record<string, RankingConfig>;
}

/**
 * A ranking of a flat feed: the newest `candidates` activities scored by recency decay times
 * popularity, `0.5 ^ (ageHours / halfLifeHours) * (1 + extraContext[popularityField])`.
 */
export interface RankingConfig {
  /** How many of the newest activities are ranked (default 100, at most 10,000). */
  candidates: number;
  /** The age at which the recency factor halves (default 24). */
  halfLifeHours: number;
  /** A numeric field of extraContext (a count of likes, saves...); absent: recency only. */
  popularityField?: string;
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
    }
  | {
      type: 'postgres';
      /**
       * `postgres://user:password@host:port/database`; the POSTGRES_URL environment variable
       * wins. Absent: node-postgres's defaults (PGHOST, PGPORT, PGUSER, PGDATABASE, ...).
       */
      url?: string;
      /** The schema of every table (default `sf_stream_server`), created at start if missing. */
      schema?: string;
      /** Most connections the server opens (default 10). */
      poolSize?: number;
      /**
       * A Redis cache in front of the flat feeds (`@sf/storage-tiered`): each feed's newest
       * `maxLength` entries (default 100) at `url` (default redis://127.0.0.1:6379; REDIS_URL
       * wins), keys `<keyPrefix><tenant>:feeds:*` (default `sf:stream:cache:`). PostgreSQL stays
       * the truth. STREAM_SERVER_FEED_CACHE=redis turns it on.
       */
      feedCache?: { url?: string; keyPrefix?: string; maxLength?: number };
    }
  | CassandraStorageConfig;

/** A CQL consistency level of reads and writes (`@sf/storage-cassandra`'s `consistency`). */
export type CassandraConsistency =
  'ANY' | 'ONE' | 'TWO' | 'THREE' | 'QUORUM' | 'ALL' | 'LOCAL_QUORUM' | 'EACH_QUORUM' | 'LOCAL_ONE';

/**
 * The keyspace's replication: `{ class: 'SimpleStrategy', replication_factor: 3 }` or
 * `{ class: 'NetworkTopologyStrategy', dc1: 3, dc2: 2 }` (copies per data center).
 */
export type CassandraReplication =
  | { class: 'SimpleStrategy'; replication_factor: number }
  | { class: 'NetworkTopologyStrategy'; [dataCenter: string]: string | number };

/**
 * Feeds in Cassandra (`@sf/storage-cassandra`), the server's own state (items, follows) in
 * Redis: Cassandra keeps what grows with the followers (every feed entry), Redis the small,
 * indexed records the feeds do not hold.
 */
export interface CassandraStorageConfig {
  type: 'cassandra';
  /** Seed nodes, `host` or `host:port` (one port for all); CASSANDRA_CONTACT_POINTS wins. Default `["127.0.0.1"]` (port 9042). */
  contactPoints: string[];
  /** The data center queries go to (default `datacenter1`); CASSANDRA_LOCAL_DC wins. */
  localDataCenter: string;
  /** The keyspace of every tenant's feeds (default `sf_stream_server`), created at start if missing; CASSANDRA_KEYSPACE wins. */
  keyspace: string;
  /** Replication of the keyspace when the server creates it (default SimpleStrategy, 1 copy); CASSANDRA_REPLICATION wins. */
  replication: CassandraReplication;
  /**
   * Reads and writes; absent: the storage's default (`QUORUM` when the keyspace keeps more than
   * one copy, `LOCAL_QUORUM` with NetworkTopologyStrategy, `ONE` for one copy). CASSANDRA_CONSISTENCY wins.
   */
  consistency?: CassandraConsistency;
  /**
   * Prepended to every Redis key and every Cassandra feed key of every tenant (default
   * `sf:stream:`): tenant `t`'s feeds are rows whose `feed_id` starts with `<keyPrefix>t:`.
   */
  keyPrefix: string;
  /** The Redis of items and follows: `url` (default redis://127.0.0.1:6379) or `clusterNodes`; REDIS_URL and REDIS_CLUSTER_NODES win. */
  redis: { url?: string; clusterNodes?: string[] };
}

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
  /**
   * Skip the fanout to users inactive (no feed read) for longer than `afterMs`, and rebuild
   * their feeds when they read again, answering 206 with `Retry-After` meanwhile. Off (null)
   * by default.
   */
  inactiveFollowers: InactiveFollowersConfig | null;
}

export interface InactiveFollowersConfig {
  /** Inactivity after which fanouts skip a user (ms). */
  afterMs: number;
  /** `Retry-After` of a 206 answer while a feed is rebuilt (seconds, default 2). */
  retryAfterSeconds: number;
}
