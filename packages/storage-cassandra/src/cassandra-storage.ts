// Over 400 lines by choice: the option parsing, validation and documentation of every
// `cassandraStorage` option sit next to the factory that applies them, so an option is read in
// one place; the per-kind storages live in their own files.
import { EventEmitter } from 'node:events';
import { RebuildListeners, defineCapabilities, resolveFormat } from '@sf/feeds/backend';
import type {
  ActivityClockStorage,
  ActivityStorage,
  BackendCapabilities,
  FormatOption,
  MarkerEvent,
  MarkerStorage,
  SerializationFormat,
  StorageBackend,
  TimelineItem,
  TimelineStorage,
  TimelineStorageOptions,
} from '@sf/feeds/backend';
import cassandra from 'cassandra-driver';
import type { Client, DseClientOptions } from 'cassandra-driver';
import { CassandraActivityStorage } from './cassandra-activity-storage.js';
import { CassandraActivityClock } from './cassandra-activity-clock.js';
import { CassandraMarkerStorage } from './cassandra-marker-storage.js';
import { CassandraTimelineStorage } from './cassandra-timeline-storage.js';
import { TimelineIndexer } from './timeline-index.js';
import { ActivityCodec } from './codec.js';
import type { StorageContext, TableHandle } from './context.js';
import {
  activityTableSpec,
  foreignIdTableSpec,
  cqlTable,
  quoted,
  aggregatedTableSpec,
  flatTableSpec,
  indexTableName,
  timelineIndexTableSpec,
  activityClockTableSpec,
  feedRebuildTableSpec,
  lockTableSpec,
  markerTableSpec,
  tableIdentifier,
} from './cql.js';
import type { IdColumnType, Replication, TableSpec, TimelineTableKind } from './cql.js';
import { CassandraConfigurationError } from './errors.js';
import { FeedLocks } from './lock.js';
import type { CassandraLockOptions, ResolvedLockOptions } from './lock.js';
import { SchemaManager } from './schema.js';
import type { LayoutAllowances, TableLayout } from './schema.js';
import { CassandraSession, Semaphore, consistencyOf } from './session.js';
import type { ConsistencyLevel } from './session.js';

export interface CassandraStorageOptions {
  /**
   * A driver client to use (its options are yours; this package never shuts it down). Without
   * one, the storage creates a client from `contactPoints`, `localDataCenter` and `driverOptions`
   * and closes it in `close()`.
   */
  client?: Client;
  /** Default `CASSANDRA_CONTACT_POINTS` (comma-separated) or `['127.0.0.1']`. `host:port` accepted. */
  contactPoints?: string[];
  /** Default `CASSANDRA_LOCAL_DC` or `'datacenter1'`. */
  localDataCenter?: string;
  /** Default `'stream_framework'` (Stream Framework's `STREAM_DEFAULT_KEYSPACE`). */
  keyspace?: string;
  /** Replication of the keyspace `syncSchema()` creates (default SimpleStrategy, replication_factor 1). */
  replication?: Replication;
  /**
   * Consistency of reads and writes. Default: `'ONE'` (as Stream Framework) when `replication`
   * keeps one copy; `'QUORUM'` when it keeps more (`'LOCAL_QUORUM'` for
   * NetworkTopologyStrategy), so a cluster survives a node down without losing or hiding a write.
   */
  consistency?: ConsistencyLevel;
  /**
   * Consistency of the reads and writes inside `modify` (aggregated and notification feeds) and
   * of marker updates (default LOCAL_QUORUM: a writer that takes the lock must read what the
   * previous holder wrote).
   */
  modifyConsistency?: ConsistencyLevel;
  /** Serial consistency of the lightweight transactions (default LOCAL_SERIAL). */
  serialConsistency?: ConsistencyLevel;
  /**
   * How extra_context and aggregated rows are encoded: `'json'` (default) or `'stream-framework'`
   * (extra_context pickled as Stream Framework writes it, so a Python deployment can share flat
   * tables), or any SerializationFormat.
   */
  format?: FormatOption;
  /** Prepended to every feed_id, marker and lock key (default ''); isolates tenants on shared tables. */
  keyPrefix?: string;
  /** Table of a feed definition (default: its name, lower-cased). */
  tableName?: (feed: { name: string; kind: TimelineTableKind }) => string;
  /** Tables of the activity storage, the notification markers and the locks. */
  tables?: { activities?: string; markers?: string; locks?: string; foreignIds?: string };
  /** CQL type of actor, object and target ids in tables this package creates (default 'int', as Stream Framework). */
  idType?: IdColumnType;
  /** Options appended to `CREATE TABLE ... WITH` of timeline tables, e.g. `"gc_grace_seconds = 86400"`. */
  tableOptions?: string;
  /**
   * Create the keyspace and each table on first use, and add missing columns (default false:
   * call `syncSchema()` after defining the feeds). Handy for tests and development.
   */
  autoSchema?: boolean;
  /** Requests of the fanout's batch interface (`addToMany`, `removeIdsFromMany`) in flight at once (default 256). */
  writeConcurrency?: number;
  /** How `modify` and marker updates are made atomic (default: lightweight-transaction locks). */
  lock?: CassandraLockOptions;
  /** Whole time allowed to connect, in ms (default 10000). */
  connectTimeout?: number;
  /** Per-request timeout, in ms (default 12000, the driver's readTimeout). */
  requestTimeout?: number;
  /** Rows per page when reading whole feeds (default 1000). */
  fetchSize?: number;
  /** Passed to `new cassandra.Client(...)` (authProvider, sslOptions, policies, pooling, ...). */
  driverOptions?: Partial<DseClientOptions>;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1) {
    throw new CassandraConfigurationError(
      `${name} must be a positive integer, got ${String(value)}`,
    );
  }
  return result;
}

/** The copies a replication keeps (the largest per data center), 1 when it does not say. */
function replicationFactor(replication: Replication): number {
  const factors = Object.entries(replication)
    .filter(([name]) => name !== 'class')
    .map(([, value]) => Number(value))
    .filter((value) => Number.isFinite(value));
  return factors.length === 0 ? 1 : Math.max(...factors);
}

/** ONE for a single copy, a quorum of the copies otherwise (per data center for NTS). */
function defaultConsistency(replication: Replication): ConsistencyLevel {
  if (replicationFactor(replication) <= 1) return 'ONE';
  return String(replication.class ?? '').endsWith('NetworkTopologyStrategy')
    ? 'LOCAL_QUORUM'
    : 'QUORUM';
}

/**
 * The native port the driver must use for the nodes it discovers: the driver reads peers from
 * `system.peers`, which has no port, and connects to them on `protocolOptions.port` (9042 unless
 * set), so contact points on another port would lead it to other servers (or none).
 */
function discoveredPeersPort(contactPoints: readonly string[]): number | undefined {
  const ports = new Set(
    contactPoints.map((point) => /^(?:\[[^\]]+\]|[^:]+):(\d+)$/.exec(point.trim())?.[1] ?? '9042'),
  );
  if (ports.size > 1) {
    throw new CassandraConfigurationError(
      `contactPoints must all use the same native port (the driver connects to the nodes it discovers on one port), got ${JSON.stringify(contactPoints)}`,
    );
  }
  const [port] = [...ports];
  return port === undefined ? undefined : Number(port);
}

function consistency(
  name: string,
  value: ConsistencyLevel | undefined,
  fallback: ConsistencyLevel,
): number {
  const result = consistencyOf(value ?? fallback);
  if (result === undefined)
    throw new CassandraConfigurationError(
      `${name}: unknown consistency level ${JSON.stringify(value)}`,
    );
  return result;
}

function resolveLock(options: CassandraLockOptions = {}): ResolvedLockOptions {
  const mode = options.mode ?? 'lwt';
  if (mode !== 'lwt' && mode !== 'process') {
    throw new CassandraConfigurationError(
      `lock.mode must be 'lwt' or 'process', got ${JSON.stringify(mode)}`,
    );
  }
  return {
    mode,
    ttlSeconds: positive('lock.ttlSeconds', options.ttlSeconds, 30),
    acquireTimeout: positive('lock.acquireTimeout', options.acquireTimeout, 10_000),
  };
}

/** A table checked (or created, with autoSchema) once, on first use. */
class LazyTable implements TableHandle {
  readonly name: string;
  readonly qualified: string;
  readonly cql: string;
  readonly #resolve: () => Promise<TableLayout>;
  #layout: Promise<TableLayout> | undefined;

  constructor(keyspace: string, name: string, resolve: () => Promise<TableLayout>) {
    this.name = name;
    this.qualified = `${keyspace}.${name}`;
    this.cql = cqlTable(keyspace, name);
    this.#resolve = resolve;
  }

  layout(): Promise<TableLayout> {
    this.#layout ??= this.#resolve().catch((error: unknown) => {
      this.#layout = undefined;
      throw error;
    });
    return this.#layout;
  }

  /** Forgets the checked layout (after `syncSchema()` changed the table). */
  reset(layout?: TableLayout): void {
    this.#layout = layout ? Promise.resolve(layout) : undefined;
  }
}

interface RegisteredTable {
  handle: LazyTable;
  spec: TableSpec;
  allowances: LayoutAllowances;
  timeline: boolean;
  kind: TimelineTableKind | 'index' | 'activities' | 'markers' | 'locks' | 'foreign-ids' | 'clock';
}

/**
 * What the Cassandra backend declares (with the default `lock.mode: 'lwt'`): flat timelines hold
 * whole activities, feed names follow CQL's table-name rule (they name the tables unless
 * `tableName` maps them), marker count events reach listeners of this process only, `modify`
 * excludes writers of every process (`lock.mode: 'process'`: of this process only), data shared.
 */
export const cassandraCapabilities: BackendCapabilities = defineCapabilities({
  storesFullActivities: true,
  feedName: {
    pattern: /^[A-Za-z][A-Za-z0-9_]{0,47}$/,
    description: 'a letter then letters, digits or _ (max 48)',
  },
  notificationEvents: 'in-process',
  atomicAggregatedWrites: 'cross-process',
  shared: true,
  foreignIds: true,
  indexedFilters: true,
});

/**
 * The Cassandra backend: timelines in CQL tables (one per feed definition), denormalised as
 * Stream Framework's Cassandra backend (whole activities in the rows), with lightweight-transaction
 * locks for atomic aggregated updates. Create it with `cassandraStorage(options)`.
 */
export class CassandraStorage implements StorageBackend {
  readonly name = 'cassandra';
  readonly capabilities: BackendCapabilities;
  readonly format: SerializationFormat;
  readonly keyspace: string;
  readonly keyPrefix: string;
  /** The consistency of reads and writes, as given or defaulted from `replication`. */
  readonly consistency: ConsistencyLevel;
  readonly #session: CassandraSession;
  readonly #schema: SchemaManager;
  readonly #context: StorageContext;
  readonly #autoSchema: boolean;
  readonly #idType: IdColumnType;
  readonly #tableName: (feed: { name: string; kind: TimelineTableKind }) => string;
  readonly #tables = new Map<string, RegisteredTable>();
  /** Who hears each clock's rebuilds end (in this process: Cassandra has no pub/sub). */
  readonly #rebuildListeners = new Map<string, RebuildListeners>();
  readonly #activityStorage: CassandraActivityStorage;
  readonly #markerStorage: CassandraMarkerStorage;
  readonly #markerEvents = new EventEmitter<{ change: [MarkerEvent] }>();

  constructor(options: CassandraStorageOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new CassandraConfigurationError('cassandraStorage takes an options object');
    this.format = resolveFormat(options.format, 'cassandraStorage.format');
    this.keyspace = tableIdentifier(options.keyspace ?? 'stream_framework', 'keyspace');
    const keyPrefix = options.keyPrefix ?? '';
    if (typeof keyPrefix !== 'string' || !/^[\x20-\x7e]*$/.test(keyPrefix)) {
      throw new CassandraConfigurationError(
        `keyPrefix must be printable ASCII, got ${JSON.stringify(keyPrefix)}`,
      );
    }
    this.keyPrefix = keyPrefix;
    const idType = options.idType ?? 'int';
    if (idType !== 'int' && idType !== 'bigint')
      throw new CassandraConfigurationError(
        `idType must be 'int' or 'bigint', got ${JSON.stringify(idType)}`,
      );
    this.#idType = idType;
    this.#autoSchema = options.autoSchema ?? false;
    this.#tableName = options.tableName ?? ((feed) => feed.name);
    const replication = options.replication ?? { class: 'SimpleStrategy', replication_factor: 1 };
    const connectTimeout = positive('connectTimeout', options.connectTimeout, 10_000);
    const requestTimeout = positive('requestTimeout', options.requestTimeout, 12_000);
    this.consistency = options.consistency ?? defaultConsistency(replication);
    let client = options.client;
    const ownsClient = !client;
    let createClient: (() => Client) | undefined;
    if (!client) {
      const contactPoints =
        options.contactPoints ??
        (process.env.CASSANDRA_CONTACT_POINTS
          ? process.env.CASSANDRA_CONTACT_POINTS.split(',').map((point) => point.trim())
          : ['127.0.0.1']);
      if (!Array.isArray(contactPoints) || contactPoints.length === 0) {
        throw new CassandraConfigurationError(
          `contactPoints must be a non-empty array of hosts, got ${JSON.stringify(contactPoints)}`,
        );
      }
      const driverOptions = options.driverOptions ?? {};
      const port = driverOptions.protocolOptions?.port ?? discoveredPeersPort(contactPoints);
      createClient = () =>
        new cassandra.Client({
          ...driverOptions,
          protocolOptions: { ...driverOptions.protocolOptions, port },
          contactPoints,
          localDataCenter:
            options.localDataCenter ?? process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
          encoding: { useBigIntAsVarint: true, useBigIntAsLong: true, ...driverOptions.encoding },
          socketOptions: {
            connectTimeout: Math.min(connectTimeout, 5000),
            readTimeout: requestTimeout,
            ...driverOptions.socketOptions,
          },
        });
      client = createClient();
    }
    this.#session = new CassandraSession(
      client,
      {
        keyspace: this.keyspace,
        connectTimeout,
        requestTimeout,
        ownsClient,
        consistency: consistency('consistency', this.consistency, 'ONE'),
        serialConsistency: consistency(
          'serialConsistency',
          options.serialConsistency,
          'LOCAL_SERIAL',
        ),
        fetchSize: positive('fetchSize', options.fetchSize, 1000),
      },
      createClient,
    );
    this.#schema = new SchemaManager(this.#session, {
      replication,
      tableOptions: options.tableOptions,
    });
    const tables = options.tables ?? {};
    const locksTable = this.#register(
      lockTableSpec(tableIdentifier(tables.locks ?? 'sf_locks', 'tables.locks')),
      'locks',
    );
    const modifyConsistency = consistency(
      'modifyConsistency',
      options.modifyConsistency,
      'LOCAL_QUORUM',
    );
    const lock = resolveLock(options.lock);
    this.capabilities =
      lock.mode === 'process'
        ? defineCapabilities({ ...cassandraCapabilities, atomicAggregatedWrites: 'in-process' })
        : cassandraCapabilities;
    this.#context = {
      session: this.#session,
      keyPrefix,
      writes: new Semaphore(
        positive(
          'writeConcurrency',
          options.writeConcurrency,
          Number(process.env.SF_CASSANDRA_WRITE_CONCURRENCY ?? 256),
        ),
      ),
      modifyConsistency,
      locks: new FeedLocks(
        this.#session,
        lock,
        async () => (await locksTable.layout()).cql,
        modifyConsistency,
      ),
      activityCodec: new ActivityCodec(this.format),
      activitySerializer: this.format.activitySerializer(),
    };
    const activities = this.#register(
      activityTableSpec(
        tableIdentifier(tables.activities ?? 'sf_activities', 'tables.activities'),
        idType,
      ),
      'activities',
    );
    const markers = this.#register(
      markerTableSpec(tableIdentifier(tables.markers ?? 'sf_markers', 'tables.markers')),
      'markers',
    );
    const foreignIds = this.#register(
      foreignIdTableSpec(
        tableIdentifier(tables.foreignIds ?? 'sf_foreign_ids', 'tables.foreignIds'),
      ),
      'foreign-ids',
    );
    this.#activityStorage = new CassandraActivityStorage(this.#context, activities, foreignIds);
    this.#markerStorage = new CassandraMarkerStorage(this.#context, markers, this.#markerEvents);
    this.#markerEvents.setMaxListeners(0);
  }

  #register(
    spec: TableSpec,
    kind: RegisteredTable['kind'],
    allowances: LayoutAllowances = {},
  ): LazyTable {
    const existing = this.#tables.get(spec.name);
    if (existing) {
      if (existing.kind !== kind) {
        throw new CassandraConfigurationError(
          `table ${this.keyspace}.${spec.name} would hold both ${existing.kind} and ${kind} data; give the feed another name, or map it with the tableName option`,
        );
      }
      return existing.handle;
    }
    // Index tables are trimmed with their timelines: they get the timeline table options.
    const timeline = kind === 'flat' || kind === 'aggregated' || kind === 'index';
    const handle = new LazyTable(this.keyspace, spec.name, () =>
      this.#autoSchema
        ? this.#schema.sync(spec, allowances, timeline)
        : this.#schema.describe(spec, allowances),
    );
    this.#tables.set(spec.name, { handle, spec, allowances, timeline, kind });
    return handle;
  }

  /** The driver client (to run your own CQL on the same connection pool). */
  get client(): Client {
    return this.#session.client;
  }

  timelineStorage<T extends TimelineItem>(options: TimelineStorageOptions<T>): TimelineStorage<T> {
    const kind: TimelineTableKind = options.kind === 'flat' ? 'flat' : 'aggregated';
    const name = tableIdentifier(
      this.#tableName({ name: options.name, kind }),
      `table name of feed ${options.name}`,
    );
    const table =
      kind === 'flat'
        ? this.#register(flatTableSpec(name, this.#idType), 'flat', {
            idColumns: ['actor', 'object', 'target'],
          })
        : this.#register(aggregatedTableSpec(name), 'aggregated', {
            clusteringAlternatives: [['activity_id']],
          });
    const index = options.index;
    const indexer =
      kind === 'flat' && index && (index.verb || index.field !== null)
        ? new TimelineIndexer(
            index,
            this.#register(timelineIndexTableSpec(indexTableName(name)), 'index'),
            this.#session,
          )
        : undefined;
    return new CassandraTimelineStorage<T>(this.#context, options, table, indexer);
  }

  /** One activity storage (the `sf_activities` table) shared by every feed of this backend. */
  activityStorage(_options: { name: string }): ActivityStorage {
    return this.#activityStorage;
  }

  markerStorage(_options: { name: string }): MarkerStorage {
    return this.#markerStorage;
  }

  /**
   * The activity clock named `name` (inactive followers), in the tables `sf_activity_clock` and
   * `sf_feed_rebuilds` (registered on first call: `syncSchema()` after it creates them).
   */
  activityClock(options: { name: string }): ActivityClockStorage {
    const clock = this.#register(activityClockTableSpec('sf_activity_clock'), 'clock');
    const rebuilds = this.#register(feedRebuildTableSpec('sf_feed_rebuilds'), 'clock');
    let listeners = this.#rebuildListeners.get(options.name);
    if (!listeners) {
      listeners = new RebuildListeners();
      this.#rebuildListeners.set(options.name, listeners);
    }
    return new CassandraActivityClock(this.#context, clock, rebuilds, options.name, listeners);
  }

  /** Connects (once); fails with CassandraUnavailableError when no host answers in time. */
  async connect(): Promise<void> {
    await this.#session.connect();
  }

  /**
   * Creates the keyspace (with the configured replication) and the tables of every feed
   * definition made with this storage so far, plus the activity, marker and lock tables, and
   * adds missing columns. It never drops or changes anything that exists. Returns the tables.
   */
  async syncSchema(): Promise<string[]> {
    const synced: string[] = [];
    for (const table of this.#tables.values()) {
      const layout = await this.#schema.sync(table.spec, table.allowances, table.timeline);
      table.handle.reset(layout);
      synced.push(layout.qualified);
    }
    return synced;
  }

  /** `DROP KEYSPACE IF EXISTS` of this storage's keyspace: every feed of it is gone (for tests). */
  async dropKeyspace(): Promise<void> {
    await this.#session.ddl(`DROP KEYSPACE IF EXISTS ${quoted(this.keyspace)}`, {
      operation: 'schema.drop',
    });
    this.#schema.forgetKeyspace();
    for (const table of this.#tables.values()) table.handle.reset();
  }

  /** Shuts down the client this storage created (a client passed in is left open). */
  async close(): Promise<void> {
    await this.#session.close();
  }
}

export function cassandraStorage(options?: CassandraStorageOptions): CassandraStorage {
  return new CassandraStorage(options);
}
