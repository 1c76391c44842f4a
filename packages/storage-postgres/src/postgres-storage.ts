import pg from 'pg';
import { defineCapabilities, resolveFormat } from '@sf/feeds/backend';
import type {
  ActivityClockStorage,
  ActivityStorage,
  BackendCapabilities,
  FormatOption,
  MarkerStorage,
  SerializationFormat,
  StorageBackend,
  TimelineItem,
  TimelineStorage,
  TimelineStorageOptions,
} from '@sf/feeds/backend';
import { PostgresActivityStorage } from './activity-storage.js';
import { PostgresActivityClock } from './activity-clock.js';
import {
  PostgresContext,
  warnCorruptRow,
  type CorruptRowPolicy,
  type ModifyMode,
} from './context.js';
import { CountsListener } from './counts-listener.js';
import { PostgresConfigurationError, type PostgresCorruptRowError } from './errors.js';
import { PostgresMarkerStorage } from './marker-storage.js';
import { PostgresRunner } from './runner.js';
import {
  Tables,
  appliedVersions,
  applyMigrations,
  checkSchemaName,
  SCHEMA_VERSION,
} from './schema.js';
import type { AppliedMigration } from './schema.js';
import { PostgresAggregatedTimelineStorage } from './timeline-aggregated.js';
import { PostgresFlatTimelineStorage } from './timeline-flat.js';

/**
 * What the PostgreSQL backend declares: timelines hold ids (activities in the `activities`
 * table), any feed name, marker count events to every process (LISTEN/NOTIFY; `'none'` with
 * `countsChannel: null`), `modify` under a lock held in PostgreSQL, data shared by every process.
 */
export const postgresCapabilities: BackendCapabilities = defineCapabilities({
  storesFullActivities: false,
  feedName: null,
  notificationEvents: 'cross-process',
  atomicAggregatedWrites: 'cross-process',
  shared: true,
  // One flat_add call costs about as much for 500 feeds as for 100 (see the README: "Benchmark").
  fanoutChunkSize: 500,
  indexedFilters: true,
  foreignIds: true,
});

export interface PostgresStorageOptions {
  /** A `pg.Pool` to use (this backend never ends it). Give this or `connectionString`. */
  pool?: pg.Pool | undefined;
  /** A connection string: the backend opens its own pool (`max` 10) and `close()` ends it. */
  connectionString?: string | undefined;
  /** The schema holding the tables (default `sf`): a lowercase identifier. */
  schema?: string | undefined;
  /** `'json'` (default), `'stream-framework'` or any SerializationFormat. */
  format?: FormatOption | undefined;
  /** How `modify` keeps concurrent writers apart (default `'lock'`; see the README). */
  modifyMode?: ModifyMode | undefined;
  /** How long `modify` waits for a feed's lock before PostgresLockError, in ms (default 10000; 0 = forever). */
  lockTimeout?: number | undefined;
  /** Times a transaction is tried on serialization failures and deadlocks (default 5). */
  attempts?: number | undefined;
  /**
   * LISTEN/NOTIFY channel of marker count events (default `<schema>.marker_counts`); `null`
   * publishes nothing (`subscribe` throws).
   */
  countsChannel?: string | null | undefined;
  /** A row that cannot be decoded is skipped and reported (`'skip'`, default) or fails the read. */
  corruptRows?: CorruptRowPolicy | undefined;
  /** Receives skipped corrupt rows (default: `process.emitWarning`). */
  onCorruptRow?: ((error: PostgresCorruptRowError) => void) | undefined;
}

function positiveInteger(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new PostgresConfigurationError(
      `${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`,
      { path: `postgresStorage.${name}`, value },
    );
  }
  return value;
}

/**
 * The PostgreSQL backend: flat timelines, aggregated timelines, activities and notification
 * markers in four tables of one schema, created by `sync()`. Create it with `postgresStorage()`.
 */
export class PostgresStorage implements StorageBackend {
  readonly name = 'postgres';
  readonly capabilities: BackendCapabilities;
  readonly format: SerializationFormat;
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly countsChannel: string | null;
  readonly #ownsPool: boolean;
  readonly #context: PostgresContext;
  readonly #activityStorage: PostgresActivityStorage;
  readonly #markerStorage: PostgresMarkerStorage;
  readonly #listener: CountsListener | null;

  constructor(options: PostgresStorageOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new PostgresConfigurationError(
        'postgresStorage needs options { pool } or { connectionString }',
      );
    }
    const { pool, connectionString } = options;
    if ((pool === undefined) === (connectionString === undefined)) {
      throw new PostgresConfigurationError(
        'postgresStorage needs exactly one of pool (a pg.Pool) and connectionString',
        { value: { pool: pool === undefined ? undefined : 'pool', connectionString } },
      );
    }
    if (pool !== undefined && (typeof pool !== 'object' || typeof pool.connect !== 'function')) {
      throw new PostgresConfigurationError('pool must be a pg.Pool', {
        path: 'postgresStorage.pool',
      });
    }
    if (
      connectionString !== undefined &&
      (typeof connectionString !== 'string' || connectionString === '')
    ) {
      throw new PostgresConfigurationError('connectionString must be a non-empty string', {
        path: 'postgresStorage.connectionString',
        value: connectionString,
      });
    }
    this.schema = checkSchemaName(options.schema ?? 'sf');
    this.#ownsPool = pool === undefined;
    this.pool = pool ?? new pg.Pool({ connectionString });
    // An idle client that loses its connection must not crash the process (pg emits 'error').
    if (this.#ownsPool) this.pool.on('error', () => undefined);
    const modifyMode = options.modifyMode ?? 'lock';
    if (modifyMode !== 'lock' && modifyMode !== 'serializable') {
      throw new PostgresConfigurationError(
        `modifyMode must be 'lock' or 'serializable', got ${JSON.stringify(modifyMode)}`,
        { path: 'postgresStorage.modifyMode', value: modifyMode },
      );
    }
    const corruptRows = options.corruptRows ?? 'skip';
    if (corruptRows !== 'skip' && corruptRows !== 'throw') {
      throw new PostgresConfigurationError(
        `corruptRows must be 'skip' or 'throw', got ${JSON.stringify(corruptRows)}`,
        { path: 'postgresStorage.corruptRows', value: corruptRows },
      );
    }
    const tables = new Tables(this.schema);
    this.format = resolveFormat(options.format, 'postgresStorage.format');
    this.#context = new PostgresContext({
      runner: new PostgresRunner(this.pool, positiveInteger(options.attempts, 'attempts', 5)),
      tables,
      corruptRows,
      onCorruptRow: options.onCorruptRow ?? warnCorruptRow,
      modifyMode,
      lockTimeout: positiveInteger(options.lockTimeout, 'lockTimeout', 10_000, 0),
    });
    const channel = options.countsChannel === undefined ? tables.channel : options.countsChannel;
    if (
      channel !== null &&
      (typeof channel !== 'string' || channel.length === 0 || channel.length > 63)
    ) {
      throw new PostgresConfigurationError(
        `countsChannel must be a string of 1 to 63 characters or null, got ${JSON.stringify(channel)}`,
        { path: 'postgresStorage.countsChannel', value: channel },
      );
    }
    this.countsChannel = channel;
    this.capabilities =
      channel === null
        ? defineCapabilities({ ...postgresCapabilities, notificationEvents: 'none' })
        : postgresCapabilities;
    this.#listener =
      channel === null
        ? null
        : new CountsListener(channel, pool === undefined ? { connectionString } : pool.options);
    this.#activityStorage = new PostgresActivityStorage(
      this.#context,
      this.format.activitySerializer(),
      this.format.name,
    );
    this.#markerStorage = new PostgresMarkerStorage(this.#context, channel, this.#listener);
  }

  timelineStorage<T extends TimelineItem>(options: TimelineStorageOptions<T>): TimelineStorage<T> {
    return options.kind === 'flat'
      ? new PostgresFlatTimelineStorage<T>(this.#context, options)
      : new PostgresAggregatedTimelineStorage<T>(this.#context, options);
  }

  /** One activity storage (the `activities` table) shared by every feed of this backend. */
  activityStorage(_options: { name: string }): ActivityStorage {
    return this.#activityStorage;
  }

  markerStorage(_options: { name: string }): MarkerStorage {
    return this.#markerStorage;
  }

  /**
   * The activity clock named `name` (inactive followers): the `activity_clock` and
   * `feed_rebuilds` tables of schema version 5 (`sync()` creates them).
   */
  activityClock(options: { name: string }): ActivityClockStorage {
    return new PostgresActivityClock(this.#context, options.name, this.#listener);
  }

  /**
   * Creates the schema and applies the migrations it lacks (idempotent; safe from several
   * processes at once). Returns what this call applied.
   */
  async sync(): Promise<AppliedMigration[]> {
    return this.#context.runner.withClient({ operation: 'sync' }, (client) =>
      applyMigrations(client, this.schema),
    );
  }

  /** The schema's version (0 when never synced) and the newest this package knows. */
  async schemaVersion(): Promise<{ current: number; latest: number }> {
    const versions = await this.#context.runner.withClient(
      { operation: 'schema.version' },
      (client) => appliedVersions(client, this.schema),
    );
    return { current: Math.max(0, ...versions), latest: SCHEMA_VERSION };
  }

  /** Stops listening for marker events and ends the pool when the backend opened it. */
  async close(): Promise<void> {
    await this.#listener?.close();
    if (this.#ownsPool) await this.pool.end();
  }
}

/**
 * The PostgreSQL storage backend.
 *
 * @example
 * const storage = postgresStorage({ connectionString: process.env.DATABASE_URL });
 * await storage.sync();
 * const PinFeed = Feed.define({ keyFormat: 'feed:normal:{userId}', storage });
 */
export function postgresStorage(options: PostgresStorageOptions): PostgresStorage {
  return new PostgresStorage(options);
}
