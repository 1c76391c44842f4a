import { indexedValuesOf, isEmptyWhere } from '@sf/feeds/backend';
import type { TimelineDimension, TimelineIndex } from '@sf/feeds/backend';
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
import { PostgresQueryError } from './errors.js';
import { InvalidQueryError } from '@sf/feeds';
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
 * Every write goes through the schema's `flat_*` functions, which keep each feed's row count in
 * `timeline_lengths`: `add`/`addToMany` write a chunk of feeds in one call (`unnest` of the keys
 * CROSS JOIN `unnest` of the items) that trims each touched feed to `maxLength` exactly, by its
 * count, without reading the feed (see the README: "Trimming").
 */
export class PostgresFlatTimelineStorage<T extends TimelineItem> implements TimelineStorage<T> {
  readonly name: string;
  readonly kind: TimelineKind;
  readonly #serializer: Serializer<T>;
  readonly #context: PostgresContext;
  readonly #format: string | undefined;
  /** Feeds declaring `index`: rows carry `verb_id` / `field_value` (schema version 3). */
  readonly #index: TimelineIndex | undefined;

  constructor(context: PostgresContext, options: TimelineStorageOptions<T>) {
    this.name = options.name;
    this.kind = options.kind;
    const index = options.index;
    this.#index = index && (index.verb || index.field !== null) ? index : undefined;
    this.#serializer = options.serializer;
    this.#context = context;
    this.#format = options.format;
  }

  get #table(): string {
    return this.#context.tables.flat;
  }

  /** Ids, stored values and indexed values of items (duplicate ids collapse to the first). */
  #rows(items: readonly T[]): {
    ids: string[];
    values: (Buffer | null)[];
    verbs: (number | null)[];
    fields: (string | null)[];
  } {
    const ids: string[] = [];
    const values: (Buffer | null)[] = [];
    const verbs: (number | null)[] = [];
    const fields: (string | null)[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const id = checkId(item.serializationId, 'serializationId');
      if (seen.has(id)) continue;
      seen.add(id);
      const dumped = this.#serializer.dumps(item);
      ids.push(id);
      values.push(dumped === id ? null : Buffer.from(dumped, 'utf8'));
      if (this.#index) {
        const indexed = indexedValuesOf(item, this.#index);
        verbs.push(indexed.verb ?? null);
        fields.push(indexed.field ?? null);
      }
    }
    return { ids, values, verbs, fields };
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
    const { ids, values, verbs, fields } = this.#rows(items);
    const keys = sortedKeys(feedKeys);
    const context = {
      operation: keys.length === 1 ? 'timeline.add' : 'timeline.addToMany',
      key: keys.length === 1 ? keys[0] : undefined,
    };
    const { runner, tables } = this.#context;
    const text = this.#index
      ? `SELECT ${tables.flatAddIndexed}($1, $2, $3, $6, $7, $4, $5) AS n`
      : `SELECT ${tables.flatAdd}($1, $2, $3, $4, $5) AS n`;
    const extra = this.#index ? [verbs, fields] : [];
    // Inside a transaction a failed statement would abort it: dedupe from the start there.
    const dedupeFirst = runner.inTransaction;
    let added = 0;
    for (const chunk of chunkKeys(keys, ids.length)) {
      let rows: { n: number }[];
      try {
        rows = await runner.query(context, text, [
          chunk,
          ids,
          values,
          maxLength,
          dedupeFirst,
          ...extra,
        ]);
      } catch (error) {
        // Some rows are stored already (a fanout sent again): skip those, count the rest.
        if (dedupeFirst || !(error instanceof PostgresQueryError) || error.sqlState !== '23505')
          throw error;
        rows = await runner.query(context, text, [chunk, ids, values, maxLength, true, ...extra]);
      }
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
        `SELECT ${this.#context.tables.flatRemove}($1, $2) AS n`,
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
    const where = query.where;
    if (!isEmptyWhere(where)) {
      if (!this.#index) {
        throw new InvalidQueryError(
          `timeline ${this.name} keeps no index: declare index on the feed definition to filter by verb or field`,
          { path: 'query.where', value: where },
        );
      }
      if (where!.verb !== undefined) {
        values.push(where!.verb);
        conditions.push(`verb_id = $${values.length}::smallint`);
      }
      if (where!.field !== undefined) {
        values.push(where!.field);
        conditions.push(`field_value = $${values.length}`);
      }
    }
    const rows = await this.#context.runner.query<FlatRow>(
      { operation: 'timeline.get', key: feedKey },
      `SELECT id::text AS id, value FROM ${this.#table} WHERE ${conditions.join(' AND ')}
       ORDER BY id ${order === 'desc' ? 'DESC' : 'ASC'}${pageClause(offset, limit, values)}`,
      values,
    );
    return this.#decode(feedKey, rows);
  }

  /** The feed's length as the writes keep it (`timeline_lengths`): one index lookup. */
  async count(feedKey: string): Promise<number> {
    const rows = await this.#context.runner.query<{ n: number }>(
      { operation: 'timeline.count', key: feedKey },
      `SELECT length AS n FROM ${this.#context.tables.flatLengths} WHERE feed_key = $1`,
      [feedKey],
    );
    return rows[0]?.n ?? 0;
  }

  /** Rows per indexed value, from the partial index on the feed's rows (one statement). */
  async countBy(feedKey: string, dimension: TimelineDimension): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!this.#index) return counts;
    const column = dimension === 'verb' ? 'verb_id' : 'field_value';
    const rows = await this.#context.runner.query<{ value: string; n: number }>(
      { operation: 'timeline.countBy', key: feedKey },
      `SELECT ${column}::text AS value, count(*)::int AS n FROM ${this.#table}
        WHERE feed_key = $1 AND ${column} IS NOT NULL GROUP BY ${column}`,
      [feedKey],
    );
    for (const row of rows) counts.set(row.value, row.n);
    return counts;
  }

  async delete(feedKey: string): Promise<void> {
    await this.#context.runner.query(
      { operation: 'timeline.delete', key: feedKey },
      `SELECT ${this.#context.tables.flatDelete}($1)`,
      [feedKey],
    );
  }

  async trim(feedKey: string, maxLength: number): Promise<void> {
    const length = checkMaxLength(maxLength, 'maxLength')!;
    await this.#context.runner.query(
      { operation: 'timeline.trim', key: feedKey },
      `SELECT ${this.#context.tables.flatTrim}($1, $2)`,
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
