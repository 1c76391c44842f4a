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
import type { Transaction } from './runner.js';
import { chunkKeys, lockFeed, sortedKeys } from './timeline-shared.js';

interface AggregatedRow {
  id: string;
  value: Buffer;
}

/** The group of an aggregated item ('' for an item without one). */
function groupOf(item: TimelineItem): string {
  const group = (item as { group?: unknown }).group;
  return typeof group === 'string' ? group : '';
}

/**
 * Aggregated and notification timelines in one table, `aggregated_entries (feed_key, id, grp,
 * value, digest)`, primary key `(feed_key, id, grp, digest)` (`digest`: md5 of the value, so
 * items are unique by their serialized form). `grp` is `COLLATE "C"`: ties of one id come by
 * group compared as bytes, as the contract orders them, straight from the index.
 *
 * `modify` runs in one transaction holding the feed's advisory lock (see the README:
 * "Concurrency"); its reads, the caller's hydration reads and its writes use that transaction's
 * client.
 */
export class PostgresAggregatedTimelineStorage<
  T extends TimelineItem,
> implements TimelineStorage<T> {
  readonly name: string;
  readonly kind: TimelineKind;
  readonly #serializer: Serializer<T>;
  readonly #context: PostgresContext;
  readonly #format: string | undefined;
  /** The exact stored value each item returned by a read was decoded from. */
  readonly #stored = new WeakMap<object, string>();

  constructor(context: PostgresContext, options: TimelineStorageOptions<T>) {
    this.name = options.name;
    this.kind = options.kind;
    this.#serializer = options.serializer;
    this.#context = context;
    this.#format = options.format;
  }

  get #table(): string {
    return this.#context.tables.aggregated;
  }

  #valueOf(item: T): string {
    return this.#stored.get(item) ?? this.#serializer.dumps(item);
  }

  /** Columns of items (duplicates by value collapse). */
  #rows(items: readonly T[]): { ids: string[]; groups: string[]; values: Buffer[] } {
    const ids: string[] = [];
    const groups: string[] = [];
    const values: Buffer[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const value = this.#valueOf(item);
      if (seen.has(value)) continue;
      seen.add(value);
      ids.push(checkId(item.serializationId, 'serializationId'));
      groups.push(groupOf(item));
      values.push(Buffer.from(value, 'utf8'));
    }
    return { ids, groups, values };
  }

  #decode(feedKey: string, rows: readonly AggregatedRow[]): T[] {
    const decoded = this.#context.decodeTimeline(
      this.#table,
      feedKey,
      { kind: this.kind, format: this.#format },
      rows,
      (row) => textOf(row.value),
      (value) => this.#serializer.loads(value),
    );
    return decoded.map(({ value, item }) => {
      if (typeof item === 'object' && item !== null) this.#stored.set(item, value);
      return item;
    });
  }

  async add(
    feedKey: string,
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    return this.addToMany([feedKey], items, options);
  }

  /**
   * One transaction per chunk of feeds: one INSERT for every (feed, item) pair, then (with
   * `maxLength`) one DELETE of the rows ranked beyond it in each touched feed.
   */
  async addToMany(
    feedKeys: readonly string[],
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    const maxLength = checkMaxLength(options.maxLength);
    if (feedKeys.length === 0 || items.length === 0) return 0;
    const { ids, groups, values } = this.#rows(items);
    const keys = sortedKeys(feedKeys);
    const context = {
      operation: keys.length === 1 ? 'timeline.add' : 'timeline.addToMany',
      key: keys.length === 1 ? keys[0] : undefined,
    };
    let added = 0;
    for (const chunk of chunkKeys(keys, ids.length)) {
      added += await this.#context.runner.transaction(context, async (tx) => {
        const rows = await tx.query<{ n: number }>(
          `WITH ins AS (
             INSERT INTO ${this.#table} (feed_key, id, grp, value)
             SELECT k.feed_key, n.id, n.grp, n.value
             FROM unnest($1::text[]) AS k(feed_key)
             CROSS JOIN unnest($2::numeric[], $3::text[], $4::bytea[]) AS n(id, grp, value)
             ORDER BY 1, 2, 3
             ON CONFLICT DO NOTHING RETURNING 1)
           SELECT count(*)::int AS n FROM ins`,
          [chunk, ids, groups, values],
        );
        if (maxLength !== null) await this.#trim(tx, chunk, maxLength);
        return rows[0]?.n ?? 0;
      });
    }
    return added;
  }

  /**
   * Deletes the rows ranked beyond `maxLength` (newest first) in each of the feeds, by `ctid`
   * found through per-feed index scans (`OFFSET 0` keeps the planner from hashing the table).
   */
  async #trim(tx: Transaction, keys: readonly string[], maxLength: number): Promise<void> {
    const t = this.#table;
    await tx.query(
      `DELETE FROM ${t} WHERE ctid = ANY (ARRAY(
         SELECT x.ctid FROM unnest($1::text[]) AS k(feed_key)
         CROSS JOIN LATERAL (
           SELECT id, grp, digest FROM ${t} WHERE feed_key = k.feed_key
           ORDER BY id DESC, grp DESC, digest DESC OFFSET $2 LIMIT 1) AS cut
         CROSS JOIN LATERAL (
           SELECT ctid FROM ${t} AS e WHERE e.feed_key = k.feed_key
           AND (e.id, e.grp, e.digest) <= (cut.id, cut.grp, cut.digest) OFFSET 0) AS x))`,
      [keys, maxLength],
    );
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
    const direction = order === 'desc' ? 'DESC' : 'ASC';
    const rows = await this.#context.runner.query<AggregatedRow>(
      { operation: 'timeline.get', key: feedKey },
      `SELECT id::text AS id, value FROM ${this.#table} WHERE ${conditions.join(' AND ')}
       ORDER BY id ${direction}, grp ${direction}, digest ${direction}${pageClause(offset, limit, values)}`,
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
    await this.#context.runner.transaction({ operation: 'timeline.trim', key: feedKey }, (tx) =>
      this.#trim(tx, [feedKey], length),
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

  async modify(
    feedKey: string,
    options: TimelineWriteOptions,
    mutate: (read: (query: TimelineQuery) => Promise<T[]>) => Promise<TimelineChange<T>>,
  ): Promise<TimelineChange<T>> {
    const maxLength = checkMaxLength(options.maxLength);
    const context = { operation: 'timeline.modify', key: feedKey };
    return this.#context.modifyQueue.run(feedKey, () =>
      this.#context.runner.transaction(
        context,
        async (tx) => {
          await lockFeed(this.#context, tx, 'timeline', feedKey);
          const change = await mutate((query) => this.get(feedKey, query));
          if (change.remove.length > 0) {
            const ids = change.remove.map((item) =>
              checkId(item.serializationId, 'serializationId'),
            );
            const values = change.remove.map((item) => Buffer.from(this.#valueOf(item), 'utf8'));
            await tx.query(
              `DELETE FROM ${this.#table} WHERE feed_key = $1 AND (id, digest) IN (
                 SELECT u.id, md5(u.value)::uuid FROM unnest($2::numeric[], $3::bytea[]) AS u(id, value))`,
              [feedKey, ids, values],
            );
          }
          if (change.add.length > 0) {
            // addToMany's runner.transaction joins this one (the runner finds it open in its
            // AsyncLocalStorage): its INSERT and trim run on this client, rolled back with the
            // removal above if anything fails (see the timeline integration tests).
            await this.addToMany([feedKey], change.add, maxLength === null ? {} : { maxLength });
          } else if (maxLength !== null) {
            // A change that adds nothing (an activity the feed already holds) still leaves the
            // feed within maxLength, as every other write does.
            await this.#trim(tx, [feedKey], maxLength);
          }
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
