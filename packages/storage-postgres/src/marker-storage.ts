import { applyMarkerUpdate, encodeMarkerEvent } from '@sf/feeds/backend';
import type {
  MarkerCounts,
  MarkerEvent,
  MarkerLists,
  MarkerStorage,
  MarkerUpdate,
} from '@sf/feeds/backend';
import { InvalidArgumentError } from '@sf/activity';
import { PostgresConfigurationError } from './errors.js';
import type { PostgresContext } from './context.js';
import type { CountsListener } from './counts-listener.js';
import { checkMaxLength } from './ids.js';

interface MarkerRow {
  unseen: string[];
  unread: string[];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * Notification markers in `markers (feed_key, unseen text[], unread text[])`. An update is one
 * transaction: an upsert that locks the feed's row and returns its lists, then (when a list
 * changed) an UPDATE with `pg_notify` of the new counts in the same statement; PostgreSQL
 * delivers the notification at commit, to the listeners of every process, in commit order.
 */
export class PostgresMarkerStorage implements MarkerStorage {
  readonly #context: PostgresContext;
  readonly #channel: string | null;
  readonly #listener: CountsListener | null;

  constructor(context: PostgresContext, channel: string | null, listener: CountsListener | null) {
    this.#context = context;
    this.#channel = channel;
    this.#listener = listener;
  }

  get #table(): string {
    return this.#context.tables.markers;
  }

  async update(key: string, update: MarkerUpdate, maxLength: number): Promise<MarkerCounts> {
    const length = checkMaxLength(maxLength, 'maxLength')!;
    const context = { operation: 'markers.update', key };
    return this.#context.runner.transaction(
      context,
      async (tx) => {
        const [current] = await tx.query<MarkerRow>(
          `INSERT INTO ${this.#table} AS m (feed_key) VALUES ($1)
           ON CONFLICT (feed_key) DO UPDATE SET feed_key = m.feed_key
           RETURNING m.unseen, m.unread`,
          [key],
        );
        const before: MarkerLists = {
          unseen: current?.unseen ?? [],
          unread: current?.unread ?? [],
        };
        const next = applyMarkerUpdate(before, update, length);
        const counts = { unseen: next.unseen.length, unread: next.unread.length };
        if (!sameList(before.unseen, next.unseen) || !sameList(before.unread, next.unread)) {
          await tx.query(
            `WITH u AS (UPDATE ${this.#table} SET unseen = $2, unread = $3 WHERE feed_key = $1 RETURNING 1)
             SELECT ${this.#notify('$4')} FROM u`,
            [key, next.unseen, next.unread, this.#payload(key, counts)],
          );
        }
        return counts;
      },
      { key },
    );
  }

  #notify(payload: string): string {
    if (this.#channel === null) return `${payload}::text`;
    return `pg_notify('${this.#channel.replaceAll("'", "''")}', ${payload})`;
  }

  #payload(key: string, counts: MarkerCounts): string {
    return encodeMarkerEvent({ key, ...counts });
  }

  async get(key: string): Promise<MarkerLists> {
    const [row] = await this.#context.runner.query<MarkerRow>(
      { operation: 'markers.get', key },
      `SELECT unseen, unread FROM ${this.#table} WHERE feed_key = $1`,
      [key],
    );
    return { unseen: row?.unseen ?? [], unread: row?.unread ?? [] };
  }

  async counts(key: string): Promise<MarkerCounts> {
    const [row] = await this.#context.runner.query<MarkerCounts>(
      { operation: 'markers.counts', key },
      `SELECT cardinality(unseen) AS unseen, cardinality(unread) AS unread
       FROM ${this.#table} WHERE feed_key = $1`,
      [key],
    );
    return { unseen: row?.unseen ?? 0, unread: row?.unread ?? 0 };
  }

  async delete(key: string): Promise<void> {
    await this.#context.runner.query(
      { operation: 'markers.delete', key },
      `WITH d AS (DELETE FROM ${this.#table} WHERE feed_key = $1 RETURNING unseen, unread)
       SELECT ${this.#notify('$2')} FROM d WHERE cardinality(d.unseen) > 0 OR cardinality(d.unread) > 0`,
      [key, this.#payload(key, { unseen: 0, unread: 0 })],
    );
  }

  async subscribe(listener: (event: MarkerEvent) => void): Promise<() => Promise<void>> {
    if (typeof listener !== 'function') {
      throw new InvalidArgumentError('subscribe takes a listener function', {
        path: 'listener',
        value: listener,
      });
    }
    if (!this.#listener) {
      // The mistake is the storage's option, not this call's argument: the path names the option.
      throw new PostgresConfigurationError(
        'this PostgreSQL storage was created with countsChannel: null, so marker counts are not published',
        { path: 'postgresStorage.countsChannel', value: null },
      );
    }
    return this.#listener.subscribe(listener);
  }
}
