import { InvalidArgumentError } from '@sf/activity';

/**
 * How far something a backend does reaches: every process sharing the backend's data
 * (`cross-process`), or only the process that did it (`in-process`).
 */
export type Reach = 'cross-process' | 'in-process';

/** A rule a backend puts on feed definition names (Cassandra: they become table names). */
export interface FeedNameRule {
  /** What a valid name looks like, for error messages: `a letter then letters, digits or _ (max 48)`. */
  readonly description: string;
  readonly pattern: RegExp;
}

/**
 * What a backend declares about itself. Feeds, the Manager and the conformance suites ask these,
 * never a backend's name: a new backend implements the contracts, declares its capabilities and
 * runs the suites.
 */
export interface BackendCapabilities {
  /**
   * Flat timelines hold whole activities (Cassandra, as Stream Framework's Cassandra backend):
   * feeds keep no separate activity storage for them and reads need no hydration (its aggregated
   * timelines hold whole activities too). False when timelines hold ids and activities live in
   * the activity storage (Redis, memory, PostgreSQL). An update in place (`updateActivity`) must
   * rewrite every feed holding a copy when true (`TimelineStorage.replaceInMany`, required then),
   * and writes no feed when false.
   */
  readonly storesFullActivities: boolean;
  /**
   * Aggregated timelines hold whole activities (default: `storesFullActivities`). A backend whose
   * flat and aggregated timelines come from different stores declares it apart (a tiered backend
   * over Cassandra: flat ids in the cache, aggregated rows in Cassandra): `updateActivity` then
   * rewrites the copies in aggregated feeds.
   */
  readonly aggregatedStoresFullActivities?: boolean | undefined;
  /** The rule feed names must follow on this backend; `null`: any non-empty name. */
  readonly feedName: FeedNameRule | null;
  /**
   * Who hears marker count events (`MarkerStorage.subscribe`, `NotificationFeedDefinition.subscribe`):
   * listeners in every process sharing the backend (Redis pub/sub), or only in the process that
   * made the change (memory, Cassandra). `none`: the backend publishes nothing and `subscribe`
   * throws (Redis with `countsChannel: null`).
   */
  readonly notificationEvents: Reach | 'none';
  /**
   * `TimelineStorage.modify` (aggregated and notification writes) excludes concurrent writers of
   * the same feed in every process (a lock held in the backend: Redis, Cassandra `lock.mode:
   * 'lwt'`), or only within one process (memory, Cassandra `lock.mode: 'process'`).
   */
  readonly atomicAggregatedWrites: Reach;
  /** The data outlives the process and other processes see it (false for memory). */
  readonly shared: boolean;
  /**
   * Feeds per fanout write this backend does best with: the Manager's `fanoutChunkSize` when the
   * application sets none (the smallest among its fanout feeds' backends; 100, Stream Framework's
   * chunk, for a backend that declares none). PostgreSQL declares 500: its fanout call costs
   * about the same for 100 feeds as for 500.
   */
  readonly fanoutChunkSize?: number | undefined;
  /**
   * The backend's aggregated and notification timelines offer `modifyMany`: a fanout reads a
   * whole chunk of feeds at once and writes it back in one atomic step per batch, each feed only
   * if unchanged since its read (interoperating with concurrent `modify` writers). Default false:
   * feeds then write each feed with `modify`.
   */
  readonly batchedAggregatedWrites?: boolean | undefined;
  /**
   * Flat timelines keep the indexes a feed declares (`index: { verb, field }`) at write time, in
   * the same write as the timeline: filtered reads and `countBy` use them. Default false: feeds
   * filter by scanning the timeline (reading and hydrating it page by page).
   */
  readonly indexedFilters?: boolean | undefined;
  /**
   * The backend's flat timelines offer the cache-tier methods (`addToCached`, `readCached`,
   * `beginFill`, `fill`, `evict`): it can be the cache of a tiered backend (`@sf/storage-tiered`).
   * Default false.
   */
  readonly cacheTier?: boolean | undefined;
  /**
   * The activity storage keeps an index from foreign ids to activity ids
   * (`ActivityStorage.idsByForeignIds`): feeds and the Manager find and remove activities by
   * `foreignId`. Default false: those calls throw `StorageConfigurationError`.
   */
  readonly foreignIds?: boolean | undefined;
}

/**
 * Declares a backend's capabilities: checks the declaration and freezes it.
 *
 * @example
 * export const myCapabilities = defineCapabilities({
 *   storesFullActivities: false, feedName: null, notificationEvents: 'in-process',
 *   atomicAggregatedWrites: 'in-process', shared: false,
 * });
 */
export function defineCapabilities(capabilities: BackendCapabilities): BackendCapabilities {
  const invalid = (path: string, value: unknown, expected: string): never => {
    throw new InvalidArgumentError(
      `capabilities.${path} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`,
      {
        path: `capabilities.${path}`,
        value,
      },
    );
  };
  if (typeof capabilities !== 'object' || capabilities === null)
    invalid('', capabilities, 'an object');
  const {
    storesFullActivities,
    aggregatedStoresFullActivities,
    feedName,
    notificationEvents,
    atomicAggregatedWrites,
    shared,
    fanoutChunkSize,
    batchedAggregatedWrites,
    indexedFilters,
    cacheTier,
    foreignIds,
  } = capabilities;
  if (typeof storesFullActivities !== 'boolean')
    invalid('storesFullActivities', storesFullActivities, 'a boolean');
  if (typeof shared !== 'boolean') invalid('shared', shared, 'a boolean');
  if (
    aggregatedStoresFullActivities !== undefined &&
    typeof aggregatedStoresFullActivities !== 'boolean'
  ) {
    invalid(
      'aggregatedStoresFullActivities',
      aggregatedStoresFullActivities,
      'a boolean or undefined',
    );
  }
  if (
    feedName !== null &&
    (typeof feedName !== 'object' ||
      !(feedName.pattern instanceof RegExp) ||
      typeof feedName.description !== 'string')
  ) {
    invalid('feedName', feedName, 'null or { pattern: RegExp, description: string }');
  }
  if (
    notificationEvents !== 'cross-process' &&
    notificationEvents !== 'in-process' &&
    notificationEvents !== 'none'
  ) {
    invalid('notificationEvents', notificationEvents, "'cross-process', 'in-process' or 'none'");
  }
  if (atomicAggregatedWrites !== 'cross-process' && atomicAggregatedWrites !== 'in-process') {
    invalid('atomicAggregatedWrites', atomicAggregatedWrites, "'cross-process' or 'in-process'");
  }
  if (
    fanoutChunkSize !== undefined &&
    (typeof fanoutChunkSize !== 'number' ||
      !Number.isInteger(fanoutChunkSize) ||
      fanoutChunkSize < 1)
  ) {
    invalid('fanoutChunkSize', fanoutChunkSize, 'a positive integer or undefined');
  }
  if (batchedAggregatedWrites !== undefined && typeof batchedAggregatedWrites !== 'boolean') {
    invalid('batchedAggregatedWrites', batchedAggregatedWrites, 'a boolean or undefined');
  }
  if (indexedFilters !== undefined && typeof indexedFilters !== 'boolean') {
    invalid('indexedFilters', indexedFilters, 'a boolean or undefined');
  }
  if (cacheTier !== undefined && typeof cacheTier !== 'boolean') {
    invalid('cacheTier', cacheTier, 'a boolean or undefined');
  }
  if (foreignIds !== undefined && typeof foreignIds !== 'boolean') {
    invalid('foreignIds', foreignIds, 'a boolean or undefined');
  }
  return Object.freeze({
    ...(aggregatedStoresFullActivities === undefined ? {} : { aggregatedStoresFullActivities }),
    ...(indexedFilters === undefined ? {} : { indexedFilters }),
    ...(cacheTier === undefined ? {} : { cacheTier }),
    ...(foreignIds === undefined ? {} : { foreignIds }),
    ...(fanoutChunkSize === undefined ? {} : { fanoutChunkSize }),
    ...(batchedAggregatedWrites === undefined ? {} : { batchedAggregatedWrites }),
    storesFullActivities,
    feedName:
      feedName === null
        ? null
        : Object.freeze({ pattern: feedName.pattern, description: feedName.description }),
    notificationEvents,
    atomicAggregatedWrites,
    shared,
  });
}

/**
 * Checks a feed name against a backend's rule (and that it is a non-empty string); returns it.
 *
 * @throws InvalidArgumentError (path `options.name`) naming the rule
 */
export function checkFeedName(name: unknown, capabilities: BackendCapabilities): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError(
      `feed name must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}`,
      {
        path: 'options.name',
        value: name,
      },
    );
  }
  const rule = capabilities.feedName;
  if (rule && !rule.pattern.test(name)) {
    throw new InvalidArgumentError(
      `feed name must be ${rule.description} on this storage, got ${JSON.stringify(name)}`,
      {
        path: 'options.name',
        value: name,
      },
    );
  }
  return name;
}
