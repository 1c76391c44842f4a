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
  TimelineItem,
  TimelineKind,
  TimelineQuery,
  TimelineStorage,
  TimelineStorageOptions,
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
import { forEachLimited } from '@sf/feeds/backend';
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
  idTypes: { actor: 'int' | 'bigint'; object: 'int' | 'bigint'; target: 'int' | 'bigint' };
}

function buildStatements(layout: TableLayout, kind: 'flat' | 'aggregated'): Statements {
  const t = layout.cql;
  const keyedByGroup = kind === 'aggregated' && layout.clustering.some((c) => c.name === 'group');
  const groupOrder = layout.clustering.find((c) => c.name === 'group')?.order ?? 'ASC';
  const flat = kind === 'flat';
  const columns = flat
    ? 'activity_id, actor, verb, object, target, time, extra_context'
    : 'activity_id, "group", activities';
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
  #statements: Promise<Statements> | undefined;

  constructor(context: StorageContext, options: TimelineStorageOptions<T>, table: TableHandle) {
    this.name = options.name;
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
      .then((layout) => buildStatements(layout, this.#tableKind))
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
    return this.#get(key, query);
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
      const perFeed = maxLength === undefined ? encoded.length : maxLength + 1;
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
    const fetch =
      maxLength === undefined
        ? {
            cql: statements.presentMany!,
            last: rows.map((row) => row.key.activityId),
            per: rows.length,
          }
        : { cql: statements.topMany!, last: maxLength + 1, per: maxLength + 1 };
    // The LIMIT (every row the read can return) at most the page size keeps the read unpaged:
    // Cassandra then reads the partitions in parallel, where a paged read goes one by one.
    const limit = feedIds.length * fetch.per;
    await writes.run(async () => {
      const result = await this.#context.session.execute(fetch.cql, [feedIds, fetch.last, limit], {
        ...context,
        fetchSize: limit,
      });
      for (const row of result.rows)
        heads.get(String(row.feed_id))?.push(varintText(row.activity_id));
    });
    let added = 0;
    await forEachLimited(keys, keys.length, async (key, index) => {
      const feedId = feedIds[index]!;
      const ids = heads.get(feedId)!;
      const count = await writes.run(() =>
        maxLength === undefined
          ? this.#writeFresh(statements, key, feedId, rows, new Set(ids))
          : this.#writeTrimmedFlat(statements, key, feedId, rows, maxLength, ids),
      );
      added += count;
    });
    return added;
  }

  /** Writes the rows whose id is not in `present`; returns how many. */
  async #writeFresh(
    statements: Statements,
    key: string,
    feedId: string,
    rows: EncodedRow[],
    present: Set<string>,
  ): Promise<number> {
    const fresh = rows.filter((row) => !present.has(row.key.activityId));
    await this.#context.session.writePartition(
      fresh.map((row) => ({ query: statements.insert, params: [feedId, ...row.values] })),
      { operation: 'timeline.add', table: statements.table, key },
    );
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
    const top = await this.#context.session.execute(statements.top, [feedId, maxLength + 1], {
      operation: 'timeline.add',
      table: statements.table,
      key,
      fetchSize: maxLength + 1,
    });
    const topIds = top.rows.map((row) => varintText(row.activity_id));
    return this.#writeTrimmedFlat(statements, key, feedId, rows, maxLength, topIds);
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
  ): Promise<number> {
    const session = this.#context.session;
    const context = { operation: 'timeline.add', table: statements.table, key };
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
    const writes: Statement[] = candidates
      .filter(
        (row) =>
          boundary === undefined || compareSerializationIds(row.key.activityId, boundary) > 0,
      )
      .map((row) => ({ query: statements.insert, params: [feedId, ...row.values] }));
    if (boundary !== undefined)
      writes.push(...this.#trimFrom(statements, feedId, { activityId: boundary }));
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
      const held = new Map<string, string[]>();
      await writes.run(async () => {
        const result = await this.#context.session.execute(
          statements.presentMany!,
          [feedIds, ids, limit],
          { ...context, fetchSize: limit },
        );
        for (const row of result.rows) {
          const feedId = String(row.feed_id);
          const list = held.get(feedId) ?? [];
          list.push(varintText(row.activity_id));
          held.set(feedId, list);
        }
      });
      await forEachLimited([...held], writes.limit, async ([feedId, present]) => {
        await writes.run(() =>
          this.#context.session.writePartition(
            present.map((id) => ({
              query: statements.insert,
              params: [feedId, ...rows.get(id)!.values],
            })),
            { ...context, key: keyOf.get(feedId) },
          ),
        );
        replaced += present.length;
      });
    });
    return replaced;
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
          statements.present,
          [feedId, unique],
          context,
        );
        if (found.rows.length === 0) return 0;
        const present = [...new Set(found.rows.map((row) => varintText(row.activity_id)))];
        await this.#context.session.execute(statements.deleteIds, [feedId, present], context);
        return found.rows.length;
      });
      removed += count;
    });
    return removed;
  }

  async delete(key: string): Promise<void> {
    const statements = await this.#ready();
    await this.#context.session.execute(statements.deletePartition, [this.#feedId(key)], {
      operation: 'timeline.delete',
      table: statements.table,
      key,
    });
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
      await session.execute(statements.deletePartition, [feedId], context);
      return;
    }
    const top = await session.execute(statements.top, [feedId, maxLength + 1], {
      ...context,
      fetchSize: maxLength + 1,
    });
    if (top.rows.length <= maxLength) return;
    const boundary = this.#keyOf(statements, top.rows[maxLength]!);
    await session.writePartition(this.#trimFrom(statements, feedId, boundary), context);
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
