import type {
  TimelineChange,
  TimelineItem,
  TimelineKind,
  TimelineQuery,
  TimelineStorage,
  TimelineStorageOptions,
  TimelineWriteOptions,
} from '@sf/feeds/backend';
import type { Serializer } from '@sf/serializers';
import { textOf, type PostgresContext } from './context.js';
import {
  checkId,
  checkMaxLength,
  checkQuery,
  filterConditions,
  pageClause,
  uniqueIds,
} from './ids.js';
import { chunkKeys, lockFeed, sortedKeys } from './timeline-shared.js';

interface FlatRow {
  id: string;
  value: Buffer | null;
}

/**
 * Flat timelines in one table, `timeline_entries (feed_key, id, value)`, primary key
 * `(feed_key, id)`: the serialization id as an exact `numeric`, `value` NULL when the serialized
 * item is its id (the activity lives in the activity table), else the serialized item.
 *
 * `add`/`addToMany` write a chunk of feeds in one statement (`unnest` of the keys CROSS JOIN
 * `unnest` of the items, `ON CONFLICT DO NOTHING`) that also trims each touched feed to
 * `maxLength` (see the README: "Trimming").
 */
export class PostgresFlatTimelineStorage<T extends TimelineItem> implements TimelineStorage<T> {
  readonly name: string;
  readonly kind: TimelineKind;
  readonly #serializer: Serializer<T>;
  readonly #context: PostgresContext;
  readonly #format: string | undefined;
  /**
   * The fanout statements' texts. Not named (server-side prepared): after 5 executions
   * PostgreSQL switches them to a generic plan, which `pnpm bench:variants` measured slower than
   * planning each time (see the README: "Benchmark").
   */
  readonly #insert: string;
  readonly #insertTrim: string;

  constructor(context: PostgresContext, options: TimelineStorageOptions<T>) {
    this.name = options.name;
    this.kind = options.kind;
    this.#serializer = options.serializer;
    this.#context = context;
    this.#format = options.format;
    this.#insert = flatInsertSql(context.tables.flat);
    this.#insertTrim = flatInsertTrimSql(context.tables.flat);
  }

  get #table(): string {
    return this.#context.tables.flat;
  }

  /** Ids and stored values of items (duplicate ids collapse to the first). */
  #rows(items: readonly T[]): { ids: string[]; values: (Buffer | null)[] } {
    const ids: string[] = [];
    const values: (Buffer | null)[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const id = checkId(item.serializationId, 'serializationId');
      if (seen.has(id)) continue;
      seen.add(id);
      const dumped = this.#serializer.dumps(item);
      ids.push(id);
      values.push(dumped === id ? null : Buffer.from(dumped, 'utf8'));
    }
    return { ids, values };
  }

  #decode(feedKey: string, rows: readonly FlatRow[]): T[] {
    return this.#context
      .decodeTimeline(
        this.#table,
        feedKey,
        { kind: this.kind, format: this.#format },
        rows,
        (row) => (row.value === null ? row.id : textOf(row.value)),
        (value) => this.#serializer.loads(value),
      )
      .map(({ item }) => item);
  }

  async add(
    feedKey: string,
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    return this.addToMany([feedKey], items, options);
  }

  async addToMany(
    feedKeys: readonly string[],
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    const maxLength = checkMaxLength(options.maxLength);
    if (feedKeys.length === 0 || items.length === 0) return 0;
    const { ids, values } = this.#rows(items);
    const keys = sortedKeys(feedKeys);
    const context = {
      operation: keys.length === 1 ? 'timeline.add' : 'timeline.addToMany',
      key: keys.length === 1 ? keys[0] : undefined,
    };
    let added = 0;
    for (const chunk of chunkKeys(keys, ids.length)) {
      const rows = await this.#context.runner.query<{ n: number }>(
        context,
        maxLength === null ? this.#insert : this.#insertTrim,
        maxLength === null ? [chunk, ids, values] : [chunk, ids, values, maxLength],
      );
      added += rows[0]?.n ?? 0;
    }
    return added;
  }

  async removeIds(feedKey: string, ids: readonly string[]): Promise<number> {
    return this.removeIdsFromMany([feedKey], ids);
  }

  async removeIdsFromMany(feedKeys: readonly string[], ids: readonly string[]): Promise<number> {
    if (ids.length === 0 || feedKeys.length === 0) return 0;
    const unique = uniqueIds(ids);
    const keys = sortedKeys(feedKeys);
    const context = {
      operation: keys.length === 1 ? 'timeline.removeIds' : 'timeline.removeIdsFromMany',
      key: keys.length === 1 ? keys[0] : undefined,
    };
    let removed = 0;
    for (const chunk of chunkKeys(keys, unique.length)) {
      const rows = await this.#context.runner.query<{ n: number }>(
        context,
        `WITH del AS (DELETE FROM ${this.#table}
           WHERE feed_key = ANY($1::text[]) AND id = ANY($2::numeric[]) RETURNING 1)
         SELECT count(*)::int AS n FROM del`,
        [chunk, unique],
      );
      removed += rows[0]?.n ?? 0;
    }
    return removed;
  }

  async get(feedKey: string, query: TimelineQuery): Promise<T[]> {
    const { offset, limit, order } = checkQuery(query);
    if (limit === 0) return [];
    const values: unknown[] = [feedKey];
    const conditions = ['feed_key = $1', ...filterConditions(query.filter, values)];
    const rows = await this.#context.runner.query<FlatRow>(
      { operation: 'timeline.get', key: feedKey },
      `SELECT id::text AS id, value FROM ${this.#table} WHERE ${conditions.join(' AND ')}
       ORDER BY id ${order === 'desc' ? 'DESC' : 'ASC'}${pageClause(offset, limit, values)}`,
      values,
    );
    return this.#decode(feedKey, rows);
  }

  async count(feedKey: string): Promise<number> {
    const rows = await this.#context.runner.query<{ n: number }>(
      { operation: 'timeline.count', key: feedKey },
      `SELECT count(*)::int AS n FROM ${this.#table} WHERE feed_key = $1`,
      [feedKey],
    );
    return rows[0]?.n ?? 0;
  }

  async delete(feedKey: string): Promise<void> {
    await this.#context.runner.query(
      { operation: 'timeline.delete', key: feedKey },
      `DELETE FROM ${this.#table} WHERE feed_key = $1`,
      [feedKey],
    );
  }

  async trim(feedKey: string, maxLength: number): Promise<void> {
    const length = checkMaxLength(maxLength, 'maxLength')!;
    await this.#context.runner.query(
      { operation: 'timeline.trim', key: feedKey },
      `DELETE FROM ${this.#table} WHERE feed_key = $1 AND id <= (
         SELECT id FROM ${this.#table} WHERE feed_key = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
      [feedKey, length],
    );
  }

  async indexOf(feedKey: string, id: string): Promise<number> {
    checkId(id, 'id');
    const rows = await this.#context.runner.query<{ n: number }>(
      { operation: 'timeline.indexOf', key: feedKey },
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM ${this.#table} WHERE feed_key = $1 AND id = $2::numeric)
         THEN (SELECT count(*)::int FROM ${this.#table} WHERE feed_key = $1 AND id > $2::numeric)
         ELSE -1 END AS n`,
      [feedKey, id],
    );
    return rows[0]?.n ?? -1;
  }

  async contains(feedKey: string, id: string): Promise<boolean> {
    checkId(id, 'id');
    const rows = await this.#context.runner.query<{ found: boolean }>(
      { operation: 'timeline.contains', key: feedKey },
      `SELECT EXISTS (SELECT 1 FROM ${this.#table} WHERE feed_key = $1 AND id = $2::numeric) AS found`,
      [feedKey, id],
    );
    return rows[0]?.found === true;
  }

  /**
   * Flat feeds do not use it, but the contract allows it: the same locked read-modify-write as
   * aggregated timelines (see `lockFeed`).
   */
  async modify(
    feedKey: string,
    options: TimelineWriteOptions,
    mutate: (read: (query: TimelineQuery) => Promise<T[]>) => Promise<TimelineChange<T>>,
  ): Promise<TimelineChange<T>> {
    checkMaxLength(options.maxLength);
    const context = { operation: 'timeline.modify', key: feedKey };
    return this.#context.modifyQueue.run(feedKey, () =>
      this.#context.runner.transaction(
        context,
        async (tx) => {
          await lockFeed(this.#context, tx, 'flat', feedKey);
          const change = await mutate((query) => this.get(feedKey, query));
          const removed = change.remove.map((item) => item.serializationId);
          if (removed.length > 0) await this.removeIds(feedKey, removed);
          if (change.add.length > 0) await this.add(feedKey, change.add, options);
          return change;
        },
        {
          isolation: this.#context.modifyMode === 'serializable' ? 'serializable' : undefined,
          key: feedKey,
        },
      ),
    );
  }
}

/** The flat fanout insert (no trim) into `table`: feeds x items, new rows counted. */
export function flatInsertSql(table: string): string {
  return `WITH k AS (SELECT unnest($1::text[]) AS feed_key),
      n AS (SELECT * FROM unnest($2::numeric[], $3::bytea[]) AS n(id, value)),
      ins AS (
        INSERT INTO ${table} (feed_key, id, value)
        SELECT k.feed_key, n.id, n.value FROM k CROSS JOIN n ORDER BY 1, 2
        ON CONFLICT (feed_key, id) DO NOTHING RETURNING 1)
      SELECT count(*)::int AS n FROM ins`;
}

/**
 * Insert and trim in one statement: `cut` is, per feed, the id ranked maxLength + 1 among the
 * stored newest maxLength + 1 and the new ids; rows at or below it are deleted, new ones at or
 * below it are not inserted (but count as added, as they would have been before a trim).
 * `OFFSET 0` keeps the per-feed subqueries as index scans: joined or decorrelated, the planner
 * hashes the whole table instead (measured with EXPLAIN ANALYZE: a sequential scan per
 * statement, growing with the table).
 */
export function flatInsertTrimSql(t: string): string {
  return `WITH k AS (SELECT unnest($1::text[]) AS feed_key),
      n AS (SELECT * FROM unnest($2::numeric[], $3::bytea[]) AS n(id, value)),
      cut AS (
        SELECT k.feed_key, c.id FROM k CROSS JOIN LATERAL (
          SELECT u.id FROM (
            (SELECT id FROM ${t} AS e WHERE e.feed_key = k.feed_key ORDER BY id DESC LIMIT $4 + 1)
            UNION ALL (SELECT n.id FROM n WHERE NOT EXISTS (
              SELECT 1 FROM ${t} AS e WHERE e.feed_key = k.feed_key AND e.id = n.id))) AS u
          ORDER BY u.id DESC OFFSET $4 LIMIT 1) AS c),
      del AS (
        DELETE FROM ${t} WHERE ctid = ANY (ARRAY(
          SELECT x.ctid FROM cut CROSS JOIN LATERAL (
            SELECT ctid FROM ${t} AS e WHERE e.feed_key = cut.feed_key AND e.id <= cut.id
            OFFSET 0) AS x))
        RETURNING 1),
      pairs AS (
        SELECT k.feed_key, n.id, n.value, cut.id AS cut FROM k CROSS JOIN n
        LEFT JOIN cut ON cut.feed_key = k.feed_key),
      ins AS (
        INSERT INTO ${t} (feed_key, id, value)
        SELECT feed_key, id, value FROM pairs WHERE cut IS NULL OR id > cut ORDER BY 1, 2
        ON CONFLICT (feed_key, id) DO NOTHING RETURNING 1)
      SELECT ((SELECT count(*) FROM ins) + (
        SELECT count(*) FROM pairs AS p WHERE p.id <= p.cut AND NOT EXISTS (
          SELECT 1 FROM ${t} AS e WHERE e.feed_key = p.feed_key AND e.id = p.id
          OFFSET 0)))::int AS n`;
}
