// Over 400 lines by choice: one class implements the whole TimelineStorage contract for
// Cassandra, and its reads, trimmed writes and read-modify-writes share the prepared statements,
// row-key codec and consistency handling held in private fields; split across files they would
// need those internals exported. The statement builders and helpers above the class are the
// next cut if it grows.
import {
  Activity,
  AggregatedActivity,
  InvalidActivityError,
  InvalidArgumentError,
  SerializationError,
  compareSerializationIds,
} from '@sf/activity';
import type {
  TimelineChange,
  TimelineDimension,
  TimelineItem,
  TimelineKind,
  TimelineQuery,
  TimelineStorage,
  TimelineStorageOptions,
  TimelineWhere,
  TimelineWriteOptions,
} from '@sf/feeds';
import cassandra from 'cassandra-driver';
import type { types } from 'cassandra-driver';
import { AggregatedBlobCodec, idParameter, integerOf, varintText } from './codec.js';
import type { ActivityFields } from './codec.js';
import type { StorageContext, TableHandle } from './context.js';
import { CassandraSerializationError } from './errors.js';
import { idRange, sliceCql, sortDescending } from './query.js';
import type { Bound, IdRange } from './query.js';
import { idTypeOf } from './schema.js';
import type { TableLayout } from './schema.js';
import { forEachLimited, indexedValuesOf, isEmptyWhere, matchesWhere } from '@sf/feeds/backend';
import type { TimelineIndex } from '@sf/feeds/backend';
import { MARKER_DIMENSION } from './timeline-index.js';
import type { IndexPair, TimelineIndexer } from './timeline-index.js';
import type { RunOptions, Statement } from './session.js';

/** Offsets up to this are skipped client-side; larger ones first read only keys up to the offset. */
export const INLINE_OFFSET = 32;

/** Reads of up to this many rows are fetched as one page; longer ones page by `fetchSize`. */
const SINGLE_PAGE = 5000;

/**
 * Feeds whose newest ids (or present ids) one read fetches in a flat `addToMany`: one
 * multi-partition `IN` query per this many feeds instead of one query per feed.
 */
export const FEEDS_PER_READ = 50;

/**
 * Bound for a column without a value: the driver's `unset` leaves the cell unwritten, where
 * `null` would store a tombstone in every row.
 */
const UNSET: unknown = cassandra.types.unset;

/** The primary key of a row within its partition. */
interface RowKey {
  activityId: string;
  /** Aggregated tables keyed by group; undefined for flat and Stream Framework's aggregated layout. */
  group?: string | undefined;
}

/** The CQL of one table, built once from its layout. */
interface Statements {
  layout: TableLayout;
  /** `keyspace.table`, for messages. */
  table: string;
  /** Aggregated rows are keyed by (activity_id, group); false for flat and legacy aggregated tables. */
  keyedByGroup: boolean;
  /** Order of `group` within an activity_id in the table (newest-first reads follow it). */
  groupOrder: 'ASC' | 'DESC';
  columns: string;
  keyColumns: string;
  insert: string;
  present: string;
  top: string;
  /** Newest ids of many feeds: `feed_id IN ? PER PARTITION LIMIT ?` (flat tables, newest-first only). */
  topMany: string | undefined;
  /** Which of some ids many feeds hold (flat tables). */
  presentMany: string | undefined;
  deleteIds: string;
  deleteRow: string;
  trimBelow: string;
  trimSameId: string;
  deletePartition: string;
  count: string;
  countAbove: string;
  containsId: string;
  /** Flat tables with indexes: the columns index values come from (`activity_id, verb`, or all). */
  valueColumns: string;
  /** The head of many feeds with the verb (the fanout's read with indexes). */
  topManyVerbs: string;
  topValues: string;
  presentValues: string;
  presentManyValues: string;
  rowsBelow: string;
  rowsAtOrBelow: string;
  nonEmptyMany: string;
  rowsByIds: string;
  rowsOfFeed: string;
  distinctFeeds: string;
  idTypes: { actor: 'int' | 'bigint'; object: 'int' | 'bigint'; target: 'int' | 'bigint' };
}

function buildStatements(
  layout: TableLayout,
  kind: 'flat' | 'aggregated',
  index?: TimelineIndex,
): Statements {
  const t = layout.cql;
  const keyedByGroup = kind === 'aggregated' && layout.clustering.some((c) => c.name === 'group');
  const groupOrder = layout.clustering.find((c) => c.name === 'group')?.order ?? 'ASC';
  const flat = kind === 'flat';
  const columns = flat
    ? 'activity_id, actor, verb, object, target, time, extra_context'
    : 'activity_id, "group", activities';
  // The verb is a column; a field value needs the whole row decoded (extra_context's encoding
  // depends on the format and on the activity).
  const valueColumns = index && index.field !== null ? columns : 'activity_id, verb';
  return {
    layout,
    table: layout.qualified,
    keyedByGroup,
    groupOrder,
    columns,
    keyColumns: keyedByGroup ? 'activity_id, "group"' : 'activity_id',
    insert: flat
      ? `INSERT INTO ${t} (feed_id, activity_id, actor, verb, object, target, time, extra_context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
      : `INSERT INTO ${t} (feed_id, activity_id, "group", activities, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
    present: `SELECT ${keyedByGroup ? 'activity_id, "group"' : 'activity_id'} FROM ${t} WHERE feed_id = ? AND activity_id IN ?`,
    top: `SELECT ${keyedByGroup ? 'activity_id, "group"' : 'activity_id'} FROM ${t} WHERE feed_id = ? ORDER BY activity_id DESC LIMIT ?`,
    topMany:
      flat && layout.clustering[0]?.order === 'DESC'
        ? `SELECT feed_id, activity_id FROM ${t} WHERE feed_id IN ? PER PARTITION LIMIT ? LIMIT ?`
        : undefined,
    presentMany: flat
      ? `SELECT feed_id, activity_id FROM ${t} WHERE feed_id IN ? AND activity_id IN ? LIMIT ?`
      : undefined,
    deleteIds: `DELETE FROM ${t} WHERE feed_id = ? AND activity_id IN ?`,
    deleteRow: keyedByGroup
      ? `DELETE FROM ${t} WHERE feed_id = ? AND activity_id = ? AND "group" = ?`
      : `DELETE FROM ${t} WHERE feed_id = ? AND activity_id = ?`,
    trimBelow: keyedByGroup
      ? `DELETE FROM ${t} WHERE feed_id = ? AND activity_id < ?`
      : `DELETE FROM ${t} WHERE feed_id = ? AND activity_id <= ?`,
    // Newest first, rows sharing an activity_id come in the table's group order: the rows from
    // the boundary on are those with a group at or after it in that order.
    trimSameId: `DELETE FROM ${t} WHERE feed_id = ? AND activity_id = ? AND "group" ${groupOrder === 'ASC' ? '>=' : '<='} ?`,
    deletePartition: `DELETE FROM ${t} WHERE feed_id = ?`,
    count: `SELECT COUNT(*) AS n FROM ${t} WHERE feed_id = ?`,
    countAbove: `SELECT COUNT(*) AS n FROM ${t} WHERE feed_id = ? AND activity_id > ?`,
    containsId: `SELECT activity_id FROM ${t} WHERE feed_id = ? AND activity_id = ? LIMIT 1`,
    valueColumns,
    topManyVerbs: `SELECT feed_id, activity_id, verb FROM ${t} WHERE feed_id IN ? PER PARTITION LIMIT ? LIMIT ?`,
    topValues: `SELECT ${valueColumns} FROM ${t} WHERE feed_id = ? ORDER BY activity_id DESC LIMIT ?`,
    presentValues: `SELECT ${valueColumns} FROM ${t} WHERE feed_id = ? AND activity_id IN ?`,
    presentManyValues: `SELECT feed_id, ${valueColumns} FROM ${t} WHERE feed_id IN ? AND activity_id IN ? LIMIT ?`,
    rowsBelow: `SELECT ${valueColumns} FROM ${t} WHERE feed_id = ? AND activity_id < ?`,
    rowsAtOrBelow: `SELECT ${valueColumns} FROM ${t} WHERE feed_id = ? AND activity_id <= ?`,
    nonEmptyMany: `SELECT feed_id, activity_id FROM ${t} WHERE feed_id IN ? PER PARTITION LIMIT 1 LIMIT ?`,
    rowsByIds: `SELECT ${columns} FROM ${t} WHERE feed_id = ? AND activity_id IN ?`,
    rowsOfFeed: `SELECT ${valueColumns} FROM ${t} WHERE feed_id = ?`,
    distinctFeeds: `SELECT DISTINCT feed_id FROM ${t}`,
    idTypes: {
      actor: idTypeOf(layout, 'actor'),
      object: idTypeOf(layout, 'object'),
      target: idTypeOf(layout, 'target'),
    },
  };
}

const keyString = (key: RowKey) =>
  key.group === undefined ? key.activityId : `${key.activityId}\u0000${key.group}`;

/** A row to write: its key and the values after feed_id. */
interface EncodedRow {
  key: RowKey;
  values: unknown[];
  /** Its index rows (flat timelines with `index`). */
  pairs?: IndexPair[] | undefined;
}

/** Rows read or index rows kept per page of a filtered read (and per scan round trip). */
const FILTER_PAGE = 200;

/**
 * What a flat write knows of a feed when it keeps indexes: the rows its head read returned (with
 * the columns the index values come from), all of them when the feed is longer than the head,
 * and whether the feed was empty (its first write marks it indexed).
 */
interface IndexHead {
  rows: types.Row[];
  empty: boolean;
  /** Rows with every value column, by id, where `rows` hold only `activity_id, verb`. */
  full?: Map<string, types.Row> | undefined;
}

/** What a trimmed flat write does to a feed whose newest `maxLength + 1` ids are `topIds`. */
interface TrimPlan {
  /** New rows (not among `topIds`) at or above the head's floor. */
  candidates: EncodedRow[];
  /** New rows below the head's floor: trimmed at once, unless present further down. */
  below: EncodedRow[];
  /** Everything at or below it is deleted; undefined when the feed stays within maxLength. */
  boundary: string | undefined;
  /** The candidates that stay (above the boundary): the rows written. */
  kept: EncodedRow[];
}

function trimPlan(rows: readonly EncodedRow[], maxLength: number, topIds: string[]): TrimPlan {
  const present = new Set(topIds);
  const floor = topIds.length === maxLength + 1 ? topIds[topIds.length - 1] : undefined;
  const fresh = rows.filter((row) => !present.has(row.key.activityId));
  // Ids below everything read may be present further down; they would be trimmed at once anyway.
  const below =
    floor === undefined
      ? []
      : fresh.filter((row) => compareSerializationIds(row.key.activityId, floor) < 0);
  const candidates = fresh.filter((row) => !below.includes(row));
  const combined = sortDescending([...topIds, ...candidates.map((row) => row.key.activityId)]);
  const boundary = combined.length > maxLength ? combined[maxLength] : undefined;
  const kept = candidates.filter(
    (row) => boundary === undefined || compareSerializationIds(row.key.activityId, boundary) > 0,
  );
  return { candidates, below, boundary, kept };
}

const ascii = /^[\x20-\x7e]*$/;

const describe = (value: unknown): string =>
  typeof value === 'object' && value !== null
    ? (value.constructor?.name ?? 'object')
    : String(value);

/**
 * Timelines in CQL tables, denormalised as Stream Framework's Cassandra backend: flat timelines
 * hold whole activities (one row per activity, partition `feed_id`, clustering `activity_id
 * DESC`), aggregated and notification timelines hold whole aggregated activities (one row per
 * aggregated activity, the activities in the `activities` blob). See the README for the schema,
 * trimming and costs.
 */
export class CassandraTimelineStorage<T extends TimelineItem> implements TimelineStorage<T> {
  readonly name: string;
  readonly kind: TimelineKind;
  /** The table of this feed definition. */
  readonly table: TableHandle;
  readonly #context: StorageContext;
  readonly #tableKind: 'flat' | 'aggregated';
  readonly #blobs: AggregatedBlobCodec<T> | undefined;
  readonly #keys = new WeakMap<object, RowKey>();
  /** Flat timelines created with `index`: their index table. */
  readonly #indexer: TimelineIndexer | undefined;
  #statements: Promise<Statements> | undefined;

  constructor(
    context: StorageContext,
    options: TimelineStorageOptions<T>,
    table: TableHandle,
    indexer?: TimelineIndexer,
  ) {
    this.name = options.name;
    this.#indexer = options.kind === 'flat' ? indexer : undefined;
    this.kind = options.kind;
    this.table = table;
    this.#context = context;
    this.#tableKind = options.kind === 'flat' ? 'flat' : 'aggregated';
    this.#blobs =
      options.kind === 'flat'
        ? undefined
        : new AggregatedBlobCodec<T>(options.kind, options.serializer, context.activitySerializer);
  }

  async #ready(): Promise<Statements> {
    this.#statements ??= this.table
      .layout()
      .then((layout) => buildStatements(layout, this.#tableKind, this.#indexer?.index))
      .catch((error: unknown) => {
        this.#statements = undefined;
        throw error;
      });
    return this.#statements;
  }

  #feedId(key: string): string {
    if (typeof key !== 'string' || key.length === 0 || !ascii.test(key)) {
      throw new InvalidArgumentError(
        `Cassandra feed keys must be non-empty printable ASCII (feed_id is an ascii column), got ${JSON.stringify(key)}`,
        {
          path: 'key',
          value: key,
        },
      );
    }
    return this.#context.keyPrefix + key;
  }

  // ---- encoding -------------------------------------------------------------------------------

  #encode(statements: Statements, key: string, item: T): EncodedRow {
    const table = statements.table;
    if (this.#tableKind === 'flat') {
      if (!(item instanceof Activity)) {
        throw new InvalidActivityError(
          `feed ${JSON.stringify(key)}: Cassandra flat timelines store whole activities, got ${describe(item)} (a dehydrated activity has no fields to store)`,
        );
      }
      const fields: ActivityFields = this.#context.activityCodec.encode(item);
      const types = statements.idTypes;
      return {
        key: { activityId: fields.activityId },
        pairs: this.#indexer?.pairsOf(item),
        values: [
          fields.activityId,
          idParameter(fields.actor, types.actor, 'actor', table),
          fields.verb,
          idParameter(fields.object, types.object, 'object', table),
          fields.target === null
            ? UNSET
            : idParameter(fields.target, types.target, 'target', table),
          fields.time,
          fields.extraContext,
        ],
      };
    }
    if (!(item instanceof AggregatedActivity)) {
      throw new InvalidActivityError(
        `feed ${JSON.stringify(key)}: aggregated timelines store AggregatedActivity instances, got ${describe(item)}`,
      );
    }
    if (!ascii.test(item.group)) {
      throw new SerializationError(
        `group: ${JSON.stringify(item.group)} is not ASCII (group is an ascii column in ${table})`,
        { field: 'group' },
      );
    }
    const activityId = item.serializationId;
    const blob = this.#blobs!.encode(item);
    return {
      key: { activityId, group: statements.keyedByGroup ? item.group : undefined },
      values: [activityId, item.group, blob, item.createdAt, item.updatedAt],
    };
  }

  #decode(statements: Statements, key: string, row: types.Row): T {
    const activityId = varintText(row.activity_id);
    let item: T;
    try {
      item =
        this.#tableKind === 'flat'
          ? (this.#context.activityCodec.decode(row as never) as unknown as T)
          : this.#blobs!.decode(row.activities);
    } catch (error) {
      throw new CassandraSerializationError(statements.table, key, activityId, error);
    }
    this.#keys.set(item, {
      activityId,
      group: statements.keyedByGroup ? String(row.group) : undefined,
    });
    return item;
  }

  #rowKey(statements: Statements, item: T): RowKey {
    const known = this.#keys.get(item);
    if (known) return known;
    const group =
      statements.keyedByGroup && item instanceof AggregatedActivity ? item.group : undefined;
    return { activityId: item.serializationId, group };
  }

  #keyOf(statements: Statements, row: types.Row): RowKey {
    return {
      activityId: varintText(row.activity_id),
      group: statements.keyedByGroup ? String(row.group) : undefined,
    };
  }

  /** Statements deleting every row from `boundary` on (newest-first order). */
  #trimFrom(statements: Statements, feedId: string, boundary: RowKey): Statement[] {
    if (!statements.keyedByGroup)
      return [{ query: statements.trimBelow, params: [feedId, boundary.activityId] }];
    return [
      { query: statements.trimBelow, params: [feedId, boundary.activityId] },
      { query: statements.trimSameId, params: [feedId, boundary.activityId, boundary.group] },
    ];
  }

  // ---- reads ----------------------------------------------------------------------------------

  async get(key: string, query: TimelineQuery): Promise<T[]> {
    if (!isEmptyWhere(query.where)) {
      if (!this.#indexer) {
        throw new InvalidArgumentError(
          `feed ${this.name}: a query with \`where\` needs a flat timeline created with \`index\`, got ${JSON.stringify(query.where)}`,
          { path: 'where', value: query.where },
        );
      }
      return this.#filtered(key, query, query.where!);
    }
    return this.#get(key, query);
  }

  /**
   * A filtered page: through the index partition of one filtered dimension when the feed is
   * marked indexed for it (`FILTER_PAGE` index rows per read, then their timeline rows by
   * `activity_id IN ?`), else by scanning the timeline `FILTER_PAGE` rows per read. Either way
   * the rows are decoded and checked against every condition of `where` (the other dimension
   * of a two-dimension filter, and an index row whose entry a racing trim removed), and the
   * offset counts matching entries only.
   */
  async #filtered(key: string, query: TimelineQuery, where: TimelineWhere): Promise<T[]> {
    const statements = await this.#ready();
    const indexer = this.#indexer!;
    const feedId = this.#feedId(key);
    const order = query.order ?? 'desc';
    const limit = query.limit ?? null;
    if (limit === 0) return [];
    let range = idRange(query.filter);
    if (range.empty) return [];
    const context = { operation: 'timeline.filter', table: statements.table, key };
    const index = await indexer.ready();
    const session = this.#context.session;
    const results: T[] = [];
    let skip = query.offset ?? 0;
    // With one condition every index row is a match (but for a racing trim's leftover): read
    // no more ids than the page still needs. With two, the other condition is checked on the
    // rows, so read whole pages.
    const single = Object.values(where).filter((value) => value !== undefined).length === 1;
    const pageSize = () =>
      !single || limit === null
        ? FILTER_PAGE
        : Math.min(FILTER_PAGE, Math.max(1, skip + limit - results.length));
    const readIds = async (pair: IndexPair, slice: IdRange, size: number): Promise<string[]> => {
      const page = indexer.pageCql(index, slice, order);
      const found = await session.execute(
        page.cql,
        [feedId, pair.dimension, pair.value, ...page.params, size],
        { ...context, table: indexer.table.qualified, fetchSize: size },
      );
      return found.rows.map((row) => varintText(row.activity_id));
    };
    // The markers and the first index page of the best candidate in one round trip: a marked
    // feed (the usual case) pays no extra latency for the check.
    const candidates = indexer.candidates(where);
    const firstSize = pageSize();
    const [marked, speculative] = await Promise.all([
      indexer.markers(feedId, context),
      candidates[0] ? readIds(candidates[0], range, firstSize) : undefined,
    ]);
    const pair = candidates.find((candidate) => marked.has(candidate.dimension));
    let first = pair !== undefined && pair === candidates[0] ? speculative : undefined;
    for (;;) {
      let ids: string[];
      let items: T[];
      let size = FILTER_PAGE;
      if (pair) {
        size = first ? firstSize : pageSize();
        ids = first ?? (await readIds(pair, range, size));
        first = undefined;
        items = [];
        if (ids.length > 0) {
          const rows = await session.execute(statements.rowsByIds, [feedId, ids], {
            ...context,
            fetchSize: ids.length,
          });
          const byId = new Map(rows.rows.map((row) => [varintText(row.activity_id), row]));
          for (const id of ids) {
            const row = byId.get(id);
            if (row) items.push(this.#decode(statements, key, row));
          }
        }
      } else {
        items = await this.#readRows(statements, key, feedId, range, order, 0, FILTER_PAGE);
        ids = items.map((item) => this.#rowKey(statements, item).activityId);
      }
      for (const item of items) {
        if (!matchesWhere(indexedValuesOf(item, indexer.index), where)) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        results.push(item);
        if (limit !== null && results.length >= limit) return results;
      }
      if (ids.length < size) return results;
      const last: Bound = { id: ids[ids.length - 1]!, inclusive: false };
      range = idRange(query.filter, order === 'desc' ? { upper: last } : { lower: last });
      if (range.empty) return results;
    }
  }

  /**
   * Entries per value of an indexed dimension: one `SELECT value, COUNT(*) ... GROUP BY` over
   * the feed's index rows of that dimension when the feed is marked indexed for it (Cassandra
   * counts the rows; none leave the node), else a scan of the whole feed.
   */
  async countBy(key: string, dimension: TimelineDimension): Promise<Map<string, number>> {
    const indexer = this.#indexer;
    if (!indexer) {
      throw new InvalidArgumentError(
        `feed ${this.name}: countBy needs a flat timeline created with \`index\``,
        { path: 'dimension', value: dimension },
      );
    }
    const stored = indexer.dimensionOf(dimension);
    const statements = await this.#ready();
    const feedId = this.#feedId(key);
    const context = { operation: 'timeline.countBy', table: statements.table, key };
    const index = await indexer.ready();
    const grouped = async () => {
      const rows: Array<{ value: unknown; n: unknown }> = [];
      for await (const row of this.#context.session.rows(index.countBy, [feedId, stored], {
        ...context,
        table: indexer.table.qualified,
      }))
        rows.push({ value: row.value, n: row.n });
      return rows;
    };
    // The count runs alongside the marker read; it is used only when the feed is marked.
    const [marked, rows] = await Promise.all([indexer.markers(feedId, context), grouped()]);
    if (marked.has(stored)) return indexer.countOf(rows);
    const counts = new Map<string, number>();
    const items = await this.#readRows(statements, key, feedId, idRange(), 'desc', 0, null);
    for (const item of items) {
      const value = indexedValuesOf(item, indexer.index)[dimension];
      if (value === undefined) continue;
      counts.set(String(value), (counts.get(String(value)) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * The index rows of a stored row read with `valueColumns`: the verb from its column, a field
   * value from the decoded row. A row that cannot be decoded gives its verb row only: its field
   * row (if any) then stays behind, which filtered reads skip (no timeline row) and `countBy`
   * counts until `rebuildIndexes`.
   */
  #pairsOfRow(statements: Statements, key: string, row: types.Row): IndexPair[] {
    const indexer = this.#indexer!;
    if (indexer.index.field === null)
      return indexer.pairsOfValues({ verb: integerOf(row.verb, 'verb') });
    try {
      return indexer.pairsOf(this.#decode(statements, key, row) as unknown as Activity);
    } catch {
      return indexer.pairsOfValues({ verb: integerOf(row.verb, 'verb') });
    }
  }

  async #get(key: string, query: TimelineQuery, consistency?: number): Promise<T[]> {
    const statements = await this.#ready();
    const feedId = this.#feedId(key);
    const order = query.order ?? 'desc';
    const offset = query.offset ?? 0;
    const limit = query.limit ?? null;
    if (limit === 0) return [];
    let range = idRange(query.filter);
    if (range.empty) return [];
    let skip = offset;
    if (offset > INLINE_OFFSET) {
      // Find the key at `offset` reading keys only, then read whole rows from there.
      const slice = sliceCql(statements.layout.cql, statements.keyColumns, range, order, true);
      const context = { operation: 'timeline.get', table: statements.table, key, consistency };
      const keys = (
        await this.#fetch(slice.cql, [feedId, ...slice.params, offset + 1], offset + 1, context)
      ).map((row) => this.#keyOf(statements, row));
      if (keys.length <= offset) return [];
      const boundary = keys[offset]!;
      skip = keys.slice(0, offset).filter((k) => k.activityId === boundary.activityId).length;
      const bound: Bound = { id: boundary.activityId, inclusive: true };
      range = idRange(query.filter, order === 'desc' ? { upper: bound } : { lower: bound });
    }
    return this.#readRows(statements, key, feedId, range, order, skip, limit, consistency);
  }

  async #readRows(
    statements: Statements,
    key: string,
    feedId: string,
    range: IdRange,
    order: 'asc' | 'desc',
    skip: number,
    limit: number | null,
    consistency?: number,
  ): Promise<T[]> {
    const slice = sliceCql(statements.layout.cql, statements.columns, range, order, limit !== null);
    const params: unknown[] = [feedId, ...slice.params];
    if (limit !== null) params.push(skip + limit);
    const context = { operation: 'timeline.get', table: statements.table, key, consistency };
    const rows = await this.#fetch(
      slice.cql,
      params,
      limit === null ? null : skip + limit,
      context,
    );
    return rows.slice(skip).map((row) => this.#decode(statements, key, row));
  }

  /** Rows of a query: one page when the limit is small, else page after page of `fetchSize`. */
  async #fetch(
    cql: string,
    params: unknown[],
    limit: number | null,
    context: RunOptions,
  ): Promise<types.Row[]> {
    const session = this.#context.session;
    if (limit !== null && limit <= SINGLE_PAGE)
      return (await session.execute(cql, params, { ...context, fetchSize: limit })).rows;
    const rows: types.Row[] = [];
    for await (const row of session.rows(cql, params, context)) rows.push(row);
    return rows;
  }

  async count(key: string): Promise<number> {
    const statements = await this.#ready();
    const result = await this.#context.session.execute(statements.count, [this.#feedId(key)], {
      operation: 'timeline.count',
      table: statements.table,
      key,
    });
    return integerOf(result.rows[0]?.n ?? 0, 'count');
  }

  async contains(key: string, id: string): Promise<boolean> {
    const statements = await this.#ready();
    const result = await this.#context.session.execute(
      statements.containsId,
      [this.#feedId(key), id],
      {
        operation: 'timeline.contains',
        table: statements.table,
        key,
      },
    );
    return result.rows.length > 0;
  }

  /** Rows newer than the id (a COUNT over the head of the partition), when the id is present. */
  async indexOf(key: string, id: string): Promise<number> {
    if (!(await this.contains(key, id))) return -1;
    const statements = await this.#ready();
    const result = await this.#context.session.execute(
      statements.countAbove,
      [this.#feedId(key), id],
      {
        operation: 'timeline.indexOf',
        table: statements.table,
        key,
      },
    );
    return integerOf(result.rows[0]?.n ?? 0, 'count');
  }

  // ---- writes ---------------------------------------------------------------------------------

  async add(key: string, items: readonly T[], options: TimelineWriteOptions = {}): Promise<number> {
    return this.addToMany([key], items, options);
  }

  async addToMany(
    keys: readonly string[],
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    if (keys.length === 0 || items.length === 0) return 0;
    const statements = await this.#ready();
    const maxLength = options.maxLength;
    let added = 0;
    // Items are encoded once for all feeds (the fanout writes one activity to thousands).
    const rows = new Map<string, EncodedRow>();
    for (const item of items) {
      const row = this.#encode(statements, keys[0]!, item);
      const id = keyString(row.key);
      if (!rows.has(id)) rows.set(id, row);
    }
    const encoded = [...rows.values()];
    const writes = this.#context.writes;
    // A feed given twice is written once (two concurrent writes would both count the new rows).
    const unique = [...new Set(keys)];
    if (this.#tableKind === 'flat' && (maxLength === undefined || statements.topMany)) {
      const chunks: string[][] = [];
      // At most SINGLE_PAGE rows (or id combinations) per read.
      const perFeed =
        maxLength === undefined ? encoded.length : maxLength + (this.#indexer ? 2 : 1);
      const size = Math.max(1, Math.min(FEEDS_PER_READ, Math.floor(SINGLE_PAGE / perFeed)));
      for (let i = 0; i < unique.length; i += size) chunks.push(unique.slice(i, i + size));
      await forEachLimited(chunks, writes.limit, async (chunk) => {
        // Not `added += await ...`: that reads `added` before the await, losing concurrent counts.
        const count = await this.#addFlatChunk(statements, chunk, encoded, maxLength);
        added += count;
      });
      return added;
    }
    await forEachLimited(unique, writes.limit, async (key) => {
      const feedId = this.#feedId(key);
      const count = await writes.run(() =>
        this.#tableKind === 'flat' && maxLength !== undefined
          ? this.#addTrimmedFlat(statements, key, feedId, encoded, maxLength)
          : this.#addRows(statements, key, feedId, encoded, maxLength),
      );
      added += count;
    });
    return added;
  }

  /**
   * A flat write to a chunk of feeds: one read for the whole chunk (with `maxLength`, the newest
   * `maxLength + 1` ids of every feed through `PER PARTITION LIMIT`; without, which of the
   * items the feeds hold), then per feed one write: a single INSERT, or a single-partition
   * batch with the new rows and the trim when the feed goes past `maxLength`.
   */
  async #addFlatChunk(
    statements: Statements,
    keys: readonly string[],
    rows: EncodedRow[],
    maxLength: number | undefined,
  ): Promise<number> {
    const writes = this.#context.writes;
    const feedIds = keys.map((key) => this.#feedId(key));
    const context = {
      operation: 'timeline.add',
      table: statements.table,
      key: keys.length === 1 ? keys[0] : `${keys[0]} and ${keys.length - 1} other feed(s)`,
    };
    const heads = new Map<string, string[]>(feedIds.map((feedId) => [feedId, []]));
    const indexed = this.#indexer !== undefined;
    const headRows = new Map<string, types.Row[]>(feedIds.map((feedId) => [feedId, []]));
    const nonEmpty = new Set<string>();
    // With indexes the head read also brings the verb (the rows a trim deletes need their
    // index rows deleted), and one row more: a feed longer than maxLength + 1 (written with
    // trim: false, or a smaller maxLength since) is read further.
    const fetch =
      maxLength === undefined
        ? {
            cql: indexed ? statements.presentManyValues : statements.presentMany!,
            last: rows.map((row) => row.key.activityId),
            per: rows.length,
          }
        : indexed
          ? { cql: statements.topManyVerbs, last: maxLength + 2, per: maxLength + 2 }
          : { cql: statements.topMany!, last: maxLength + 1, per: maxLength + 1 };
    // The LIMIT (every row the read can return) at most the page size keeps the read unpaged:
    // Cassandra then reads the partitions in parallel, where a paged read goes one by one.
    const limit = feedIds.length * fetch.per;
    await writes.run(async () => {
      const session = this.#context.session;
      const [result, present] = await Promise.all([
        session.execute(fetch.cql, [feedIds, fetch.last, limit], { ...context, fetchSize: limit }),
        // Without maxLength the read says which items are present, not whether a feed is empty:
        // an indexed feed's first write marks it, so ask (one row per feed, same round trip).
        indexed && maxLength === undefined
          ? session.execute(statements.nonEmptyMany, [feedIds, feedIds.length], {
              ...context,
              fetchSize: feedIds.length,
            })
          : undefined,
      ]);
      for (const row of result.rows) {
        const feedId = String(row.feed_id);
        heads.get(feedId)?.push(varintText(row.activity_id));
        headRows.get(feedId)?.push(row);
      }
      for (const row of present?.rows ?? []) nonEmpty.add(String(row.feed_id));
    });
    const wholeHeads = new Map<string, IndexHead>();
    if (indexed && maxLength !== undefined) {
      await forEachLimited(keys, keys.length, async (key, index) => {
        const feedId = feedIds[index]!;
        const rowsOfHead = headRows.get(feedId)!;
        const head =
          rowsOfHead.length < maxLength + 2
            ? { rows: rowsOfHead, empty: rowsOfHead.length === 0 }
            : await writes.run(() =>
                this.#wholeHead(statements, key, feedId, rowsOfHead, maxLength),
              );
        wholeHeads.set(feedId, head);
      });
      if ((this.#indexer?.index.field ?? null) !== null)
        await writes.run(() =>
          this.#fieldsOfTrimmed(statements, context, wholeHeads, rows, maxLength),
        );
    }
    let added = 0;
    await forEachLimited(keys, keys.length, async (key, index) => {
      const feedId = feedIds[index]!;
      const ids = heads.get(feedId)!;
      const count = await writes.run(async () => {
        if (maxLength === undefined) {
          const head = indexed ? { rows: [], empty: !nonEmpty.has(feedId) } : undefined;
          return this.#writeFresh(statements, key, feedId, rows, new Set(ids), head);
        }
        if (!indexed) return this.#writeTrimmedFlat(statements, key, feedId, rows, maxLength, ids);
        const head = wholeHeads.get(feedId)!;
        return this.#writeTrimmedFlat(
          statements,
          key,
          feedId,
          rows,
          maxLength,
          head.rows.slice(0, maxLength + 1).map((row) => varintText(row.activity_id)),
          head,
        );
      });
      added += count;
    });
    return added;
  }

  /**
   * With a field indexed, the field values of the rows each feed's write will trim live in
   * `extra_context`, which the head read leaves out (a fanout to full feeds would otherwise
   * bring `maxLength + 2` whole rows per feed to delete one): one more read for the chunk,
   * `feed_id IN ? AND activity_id IN ?` over the feeds that trim and the ids they trim, and
   * those rows are kept in each head's `full`.
   */
  async #fieldsOfTrimmed(
    statements: Statements,
    context: RunOptions,
    heads: Map<string, IndexHead>,
    rows: EncodedRow[],
    maxLength: number,
  ): Promise<void> {
    const wanted = new Map<string, Set<string>>();
    const ids = new Set<string>();
    for (const [feedId, head] of heads) {
      const topIds = head.rows.slice(0, maxLength + 1).map((row) => varintText(row.activity_id));
      const { boundary } = trimPlan(rows, maxLength, topIds);
      if (boundary === undefined) continue;
      const trimmed = new Set<string>();
      // Rows past the first maxLength + 2 came from #wholeHead with every column already.
      for (const row of head.rows.slice(0, maxLength + 2)) {
        const id = varintText(row.activity_id);
        if (compareSerializationIds(id, boundary) > 0) continue;
        trimmed.add(id);
        ids.add(id);
      }
      if (trimmed.size > 0) wanted.set(feedId, trimmed);
    }
    if (wanted.size === 0) return;
    const feedIds = [...wanted.keys()];
    const found = await this.#fetch(
      statements.presentManyValues,
      [feedIds, [...ids], feedIds.length * ids.size],
      feedIds.length * ids.size,
      context,
    );
    for (const row of found) {
      const feedId = String(row.feed_id);
      const id = varintText(row.activity_id);
      if (!wanted.get(feedId)?.has(id)) continue;
      const head = heads.get(feedId)!;
      head.full ??= new Map();
      head.full.set(id, row);
    }
  }

  /**
   * The head of an indexed feed (its newest `maxLength + 2` rows, ids and verbs),
   * completed with every older row when the feed holds more than `maxLength + 1` (then a trim
   * may delete rows the head did not bring, and their index rows must go too).
   */
  async #wholeHead(
    statements: Statements,
    key: string,
    feedId: string,
    rows: types.Row[],
    maxLength: number,
  ): Promise<IndexHead> {
    if (rows.length < maxLength + 2) return { rows, empty: rows.length === 0 };
    const rest: types.Row[] = [];
    for await (const row of this.#context.session.rows(
      statements.rowsBelow,
      [feedId, varintText(rows[rows.length - 1]!.activity_id)],
      { operation: 'timeline.add', table: statements.table, key },
    ))
      rest.push(row);
    return { rows: [...rows, ...rest], empty: false };
  }

  /** The index statements of a write: rows written, rows deleted, and the markers of a first write. */
  async #indexWrites(
    statements: Statements,
    key: string,
    feedId: string,
    written: readonly EncodedRow[],
    deleted: readonly types.Row[],
    empty: boolean,
  ): Promise<Statement[]> {
    const indexer = this.#indexer;
    if (!indexer) return [];
    const index = await indexer.ready();
    const out: Statement[] = [];
    for (const row of deleted) {
      const id = varintText(row.activity_id);
      out.push(...indexer.deletesOf(index, feedId, id, this.#pairsOfRow(statements, key, row)));
    }
    for (const row of written)
      out.push(...indexer.insertsOf(index, feedId, row.key.activityId, row.pairs ?? []));
    if (empty) out.push(...indexer.markersOf(index, feedId));
    return out;
  }

  /** Writes the rows whose id is not in `present`; returns how many. */
  async #writeFresh(
    statements: Statements,
    key: string,
    feedId: string,
    rows: EncodedRow[],
    present: Set<string>,
    head?: IndexHead,
  ): Promise<number> {
    const fresh = rows.filter((row) => !present.has(row.key.activityId));
    const writes: Statement[] = fresh.map((row) => ({
      query: statements.insert,
      params: [feedId, ...row.values],
    }));
    // Index rows share the feed's partition key: one batch, one mutation per replica.
    if (head && fresh.length > 0)
      writes.push(...(await this.#indexWrites(statements, key, feedId, fresh, [], head.empty)));
    await this.#context.session.writePartition(writes, {
      operation: 'timeline.add',
      table: statements.table,
      key,
    });
    return fresh.length;
  }

  /**
   * A flat write with trimming in two round trips: read the newest `maxLength + 1` ids (which
   * also tells which items are present), then one single-partition batch with the new rows and
   * one range delete of everything past the newest `maxLength`.
   */
  async #addTrimmedFlat(
    statements: Statements,
    key: string,
    feedId: string,
    rows: EncodedRow[],
    maxLength: number,
  ): Promise<number> {
    const indexed = this.#indexer !== undefined;
    const per = maxLength + (indexed ? 2 : 1);
    const top = await this.#context.session.execute(
      indexed ? statements.topValues : statements.top,
      [feedId, per],
      { operation: 'timeline.add', table: statements.table, key, fetchSize: per },
    );
    if (!indexed) {
      const topIds = top.rows.map((row) => varintText(row.activity_id));
      return this.#writeTrimmedFlat(statements, key, feedId, rows, maxLength, topIds);
    }
    const head = await this.#wholeHead(statements, key, feedId, top.rows, maxLength);
    const topIds = head.rows.slice(0, maxLength + 1).map((row) => varintText(row.activity_id));
    return this.#writeTrimmedFlat(statements, key, feedId, rows, maxLength, topIds, head);
  }

  /**
   * The write of a flat feed whose newest `maxLength + 1` ids are `topIds` (newest first): the
   * new rows that stay within the newest `maxLength`, and a range delete of everything past
   * them when the feed goes past `maxLength`, in one single-partition batch (a single INSERT
   * when there is nothing to trim). Returns the number of new entries.
   */
  async #writeTrimmedFlat(
    statements: Statements,
    key: string,
    feedId: string,
    rows: EncodedRow[],
    maxLength: number,
    topIds: string[],
    head?: IndexHead,
  ): Promise<number> {
    const session = this.#context.session;
    const context = { operation: 'timeline.add', table: statements.table, key };
    const { candidates, below, boundary, kept } = trimPlan(rows, maxLength, topIds);
    const writes: Statement[] = kept.map((row) => ({
      query: statements.insert,
      params: [feedId, ...row.values],
    }));
    if (boundary !== undefined)
      writes.push(...this.#trimFrom(statements, feedId, { activityId: boundary }));
    if (head) {
      // The trim deletes every row at or below the boundary: the head holds them all.
      const trimmed =
        boundary === undefined
          ? []
          : head.rows
              .filter((row) => compareSerializationIds(varintText(row.activity_id), boundary) <= 0)
              .map((row) => head.full?.get(varintText(row.activity_id)) ?? row);
      writes.push(...(await this.#indexWrites(statements, key, feedId, kept, trimmed, head.empty)));
    }
    let added = candidates.length;
    if (below.length > 0) {
      // Before the write: its trim deletes those rows, and they would then count as new.
      const found = await session.execute(
        statements.present,
        [feedId, below.map((row) => row.key.activityId)],
        context,
      );
      added += below.length - found.rows.length;
    }
    await session.writePartition(writes, context);
    return added;
  }

  /** Writes the rows not present yet (checked by primary key), then trims when asked. */
  async #addRows(
    statements: Statements,
    key: string,
    feedId: string,
    rows: EncodedRow[],
    maxLength: number | undefined,
  ): Promise<number> {
    const session = this.#context.session;
    const context = { operation: 'timeline.add', table: statements.table, key };
    const ids = [...new Set(rows.map((row) => row.key.activityId))];
    const found = await session.execute(statements.present, [feedId, ids], context);
    const present = new Set(found.rows.map((row) => keyString(this.#keyOf(statements, row))));
    const fresh = rows.filter((row) => !present.has(keyString(row.key)));
    await session.writePartition(
      fresh.map((row) => ({ query: statements.insert, params: [feedId, ...row.values] })),
      context,
    );
    if (maxLength !== undefined) await this.#trimNow(statements, key, feedId, maxLength);
    return fresh.length;
  }

  /**
   * Update in place of flat timelines (whole activities): per chunk of up to 50 feeds, one read
   * of which of them hold which of the ids (`feed_id IN ? AND activity_id IN ?`), then per feed
   * holding any, one single-partition write of those rows again (an INSERT is an upsert, keeping
   * the row's place: same clustering key). Feeds without the activity get nothing. A read then a
   * write: an entry removed by another writer between the two is written again (see the README).
   */
  async replaceInMany(keys: readonly string[], items: readonly T[]): Promise<number> {
    if (this.#tableKind !== 'flat') {
      throw new InvalidArgumentError(
        `replaceInMany rewrites flat timelines; feed ${this.name} is ${this.kind} (aggregated and notification feeds replace through modify)`,
        { path: 'kind', value: this.kind },
      );
    }
    if (keys.length === 0 || items.length === 0) return 0;
    const statements = await this.#ready();
    const rows = new Map<string, EncodedRow>();
    for (const item of items) {
      const row = this.#encode(statements, keys[0]!, item);
      // A replaced row must lose a target the new version no longer has (unset would keep it).
      row.values = row.values.map((value) => (value === UNSET ? null : value));
      rows.set(row.key.activityId, row);
    }
    const ids = [...rows.keys()];
    const unique = [...new Set(keys)];
    const size = Math.max(1, Math.min(FEEDS_PER_READ, Math.floor(SINGLE_PAGE / ids.length)));
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += size) chunks.push(unique.slice(i, i + size));
    const writes = this.#context.writes;
    let replaced = 0;
    await forEachLimited(chunks, writes.limit, async (chunk) => {
      const feedIds = chunk.map((key) => this.#feedId(key));
      const keyOf = new Map(chunk.map((key, index) => [feedIds[index]!, key]));
      const context = {
        operation: 'timeline.replace',
        table: statements.table,
        key: chunk.length === 1 ? chunk[0] : `${chunk[0]} and ${chunk.length - 1} other feed(s)`,
      };
      const limit = feedIds.length * ids.length;
      const held = new Map<string, types.Row[]>();
      await writes.run(async () => {
        // With indexes, the old rows' value columns: an update that changes a verb or the
        // field's value moves the entry's index rows in the same batch.
        const result = await this.#context.session.execute(
          this.#indexer ? statements.presentManyValues : statements.presentMany!,
          [feedIds, ids, limit],
          { ...context, fetchSize: limit },
        );
        for (const row of result.rows) {
          const feedId = String(row.feed_id);
          const list = held.get(feedId) ?? [];
          list.push(row);
          held.set(feedId, list);
        }
      });
      await forEachLimited([...held], writes.limit, async ([feedId, present]) => {
        const key = keyOf.get(feedId)!;
        const batch: Statement[] = [];
        for (const old of present) {
          const row = rows.get(varintText(old.activity_id))!;
          batch.push({ query: statements.insert, params: [feedId, ...row.values] });
          if (this.#indexer)
            batch.push(...(await this.#indexMoves(statements, key, feedId, old, row)));
        }
        await writes.run(() => this.#context.session.writePartition(batch, { ...context, key }));
        replaced += present.length;
      });
    });
    return replaced;
  }

  /**
   * The index statements of an update in place: the old row's index rows the new version no
   * longer has are deleted, the new version's written (an upsert: idempotent on a retry).
   */
  async #indexMoves(
    statements: Statements,
    key: string,
    feedId: string,
    old: types.Row,
    row: EncodedRow,
  ): Promise<Statement[]> {
    const indexer = this.#indexer!;
    const index = await indexer.ready();
    const next = row.pairs ?? [];
    const same = (a: IndexPair, b: IndexPair) => a.dimension === b.dimension && a.value === b.value;
    // Never a delete and an insert of the same index row in one batch: a delete wins a tie.
    const gone = this.#pairsOfRow(statements, key, old).filter(
      (pair) => !next.some((other) => same(pair, other)),
    );
    return [
      ...indexer.deletesOf(index, feedId, row.key.activityId, gone),
      ...indexer.insertsOf(index, feedId, row.key.activityId, next),
    ];
  }

  /**
   * Brings the indexes of feeds in line with their timelines and marks them indexed: for feeds
   * written before the definition declared `index` (or a dimension of it), whose filtered reads
   * and counts scan the timeline until then. Per feed: one read of its index rows, then one of
   * its timeline rows (value columns), then one batch deleting the index rows no entry has and
   * writing the missing ones and the markers. `keys` omitted: every feed of the table under this
   * storage's key prefix (a `SELECT DISTINCT feed_id` over the whole table: a maintenance job).
   * Safe to run again; see the README for writes racing it. Returns feeds and index rows changed.
   */
  async rebuildIndexes(
    keys?: readonly string[],
  ): Promise<{ feeds: number; added: number; removed: number }> {
    const indexer = this.#indexer;
    if (!indexer) {
      throw new InvalidArgumentError(
        `feed ${this.name}: rebuildIndexes needs a flat timeline created with \`index\``,
        { path: 'index', value: undefined },
      );
    }
    const statements = await this.#ready();
    const session = this.#context.session;
    const total = { feeds: 0, added: 0, removed: 0 };
    const rebuild = async (key: string) => {
      const feedId = this.#feedId(key);
      const index = await indexer.ready();
      const context = { operation: 'timeline.rebuildIndexes', table: statements.table, key };
      // The index before the timeline: an entry a fanout adds in between is then either in
      // both reads or in the timeline's only (written again, idempotent), never deleted.
      const existing = new Map<string, IndexPair & { id: string }>();
      for await (const row of session.rows(index.rowsOfFeed, [feedId], {
        ...context,
        table: indexer.table.qualified,
      })) {
        const entry = {
          dimension: String(row.dimension),
          value: String(row.value),
          id: varintText(row.activity_id),
        };
        existing.set(`${entry.dimension}\u0000${entry.value}\u0000${entry.id}`, entry);
      }
      const wanted = new Map<string, IndexPair & { id: string }>();
      for await (const row of session.rows(statements.rowsOfFeed, [feedId], context)) {
        const id = varintText(row.activity_id);
        for (const pair of this.#pairsOfRow(statements, key, row))
          wanted.set(`${pair.dimension}\u0000${pair.value}\u0000${id}`, { ...pair, id });
      }
      const writes: Statement[] = [];
      let removed = 0;
      let added = 0;
      for (const [name, entry] of existing) {
        if (entry.dimension === MARKER_DIMENSION) {
          if (indexer.dimensions.includes(entry.value)) continue;
        } else if (wanted.has(name)) continue;
        writes.push(...indexer.deletesOf(index, feedId, entry.id, [entry]));
        removed++;
      }
      for (const [name, entry] of wanted) {
        if (existing.has(name)) continue;
        writes.push(...indexer.insertsOf(index, feedId, entry.id, [entry]));
        added++;
      }
      writes.push(...indexer.markersOf(index, feedId));
      await session.writePartition(writes, context);
      total.feeds++;
      total.added += added;
      total.removed += removed;
    };
    const writes = this.#context.writes;
    if (keys) {
      await forEachLimited([...new Set(keys)], writes.limit, (key) =>
        writes.run(() => rebuild(key)),
      );
      return total;
    }
    const prefix = this.#context.keyPrefix;
    let batch: string[] = [];
    const flush = async () => {
      const keysOfBatch = batch;
      batch = [];
      await forEachLimited(keysOfBatch, writes.limit, (key) => writes.run(() => rebuild(key)));
    };
    for await (const row of session.rows(statements.distinctFeeds, [], {
      operation: 'timeline.rebuildIndexes',
      table: statements.table,
    })) {
      const feedId = String(row.feed_id);
      if (!feedId.startsWith(prefix) || feedId.length === prefix.length) continue;
      batch.push(feedId.slice(prefix.length));
      if (batch.length >= 100) await flush();
    }
    await flush();
    return total;
  }

  async removeIds(key: string, ids: readonly string[]): Promise<number> {
    return this.removeIdsFromMany([key], ids);
  }

  async removeIdsFromMany(keys: readonly string[], ids: readonly string[]): Promise<number> {
    if (keys.length === 0 || ids.length === 0) return 0;
    const statements = await this.#ready();
    const unique = [...new Set(ids)];
    let removed = 0;
    const writes = this.#context.writes;
    await forEachLimited([...new Set(keys)], writes.limit, async (key) => {
      const feedId = this.#feedId(key);
      const context = { operation: 'timeline.remove', table: statements.table, key };
      const count = await writes.run(async () => {
        const found = await this.#context.session.execute(
          this.#indexer ? statements.presentValues : statements.present,
          [feedId, unique],
          context,
        );
        if (found.rows.length === 0) return 0;
        const present = [...new Set(found.rows.map((row) => varintText(row.activity_id)))];
        await this.#context.session.writePartition(
          [
            { query: statements.deleteIds, params: [feedId, present] },
            ...(await this.#indexWrites(statements, key, feedId, [], found.rows, false)),
          ],
          context,
        );
        return found.rows.length;
      });
      removed += count;
    });
    return removed;
  }

  async delete(key: string): Promise<void> {
    const statements = await this.#ready();
    const feedId = this.#feedId(key);
    await this.#context.session.writePartition(await this.#deleteFeed(statements, feedId), {
      operation: 'timeline.delete',
      table: statements.table,
      key,
    });
  }

  /** The feed's partition delete, and its index partition's (markers included) with indexes. */
  async #deleteFeed(statements: Statements, feedId: string): Promise<Statement[]> {
    const writes: Statement[] = [{ query: statements.deletePartition, params: [feedId] }];
    if (this.#indexer) writes.push(this.#indexer.deleteFeed(await this.#indexer.ready(), feedId));
    return writes;
  }

  async trim(key: string, maxLength: number): Promise<void> {
    const statements = await this.#ready();
    await this.#trimNow(statements, key, this.#feedId(key), maxLength);
  }

  /**
   * Reads the keys of the newest `maxLength + 1` rows; when there are that many, deletes from
   * the last one on with range deletes (one range tombstone, or two for group-keyed tables).
   */
  async #trimNow(
    statements: Statements,
    key: string,
    feedId: string,
    maxLength: number,
    consistency?: number,
  ): Promise<void> {
    const session = this.#context.session;
    const context = { operation: 'timeline.trim', table: statements.table, key, consistency };
    if (maxLength <= 0) {
      await session.writePartition(await this.#deleteFeed(statements, feedId), context);
      return;
    }
    const top = await session.execute(statements.top, [feedId, maxLength + 1], {
      ...context,
      fetchSize: maxLength + 1,
    });
    if (top.rows.length <= maxLength) return;
    const boundary = this.#keyOf(statements, top.rows[maxLength]!);
    const writes = this.#trimFrom(statements, feedId, boundary);
    if (this.#indexer) {
      // The rows the range delete removes, with their value columns, for their index rows.
      const trimmed: types.Row[] = [];
      for await (const row of session.rows(
        statements.rowsAtOrBelow,
        [feedId, boundary.activityId],
        context,
      ))
        trimmed.push(row);
      writes.push(...(await this.#indexWrites(statements, key, feedId, [], trimmed, false)));
    }
    await session.writePartition(writes, context);
  }

  async modify(
    key: string,
    options: TimelineWriteOptions,
    mutate: (read: (query: TimelineQuery) => Promise<T[]>) => Promise<TimelineChange<T>>,
  ): Promise<TimelineChange<T>> {
    const statements = await this.#ready();
    const feedId = this.#feedId(key);
    const consistency = this.#context.modifyConsistency;
    return this.#context.locks.withLock(`${statements.table}|${feedId}`, async () => {
      // When a read saw the whole feed, the size after the write is known and a trim that
      // would do nothing needs no read.
      let whole: Set<string> | undefined;
      const change = await mutate(async (query) => {
        const items = await this.#get(key, query, consistency);
        const unfiltered =
          !query.filter || Object.values(query.filter).every((bound) => bound === undefined);
        if (
          (query.offset ?? 0) === 0 &&
          unfiltered &&
          (query.limit === null || items.length < query.limit)
        ) {
          whole = new Set(items.map((item) => keyString(this.#rowKey(statements, item))));
        }
        return items;
      });
      const adds = change.add.map((item) => this.#encode(statements, key, item));
      const added = new Set(adds.map((row) => keyString(row.key)));
      const writes: Statement[] = [];
      const deleted = new Set<string>();
      for (const item of change.remove) {
        const rowKey = this.#rowKey(statements, item);
        const id = keyString(rowKey);
        // A row written again in the same batch must not be deleted: in one batch every
        // statement has the same timestamp, and a delete wins a tie. The insert overwrites it.
        if (added.has(id) || deleted.has(id)) continue;
        deleted.add(id);
        writes.push({
          query: statements.deleteRow,
          params:
            rowKey.group === undefined
              ? [feedId, rowKey.activityId]
              : [feedId, rowKey.activityId, rowKey.group],
        });
      }
      for (const row of adds)
        writes.push({ query: statements.insert, params: [feedId, ...row.values] });
      const context = { operation: 'timeline.modify', table: statements.table, key, consistency };
      await this.#context.session.writePartition(writes, context);
      if (options.maxLength !== undefined) {
        const size =
          whole === undefined
            ? undefined
            : whole.size -
              [...deleted].filter((id) => whole!.has(id)).length +
              [...added].filter((id) => !whole!.has(id)).length;
        if (size === undefined || size > options.maxLength)
          await this.#trimNow(statements, key, feedId, options.maxLength, consistency);
      }
      return change;
    });
  }
}
