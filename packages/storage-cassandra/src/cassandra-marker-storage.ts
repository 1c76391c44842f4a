import type { EventEmitter } from 'node:events';
import { InvalidArgumentError } from '@sf/activity';
import { applyMarkerUpdate } from '@sf/feeds';
import type {
  MarkerCounts,
  MarkerEvent,
  MarkerLists,
  MarkerStorage,
  MarkerUpdate,
} from '@sf/feeds';
import type { StorageContext, TableHandle } from './context.js';
import { CassandraLockError } from './errors.js';
import type { CassandraSession } from './session.js';

const ascii = /^[\x20-\x7e]+$/;

const listOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** How many compare-and-set attempts an update makes before giving up. */
const MAX_ATTEMPTS = 50;

/**
 * Unseen/unread markers of notification feeds: one row per feed with both lists
 * (`frozen<list<text>>`, each write replaces them whole) and a version. With the `lwt` lock mode
 * an update is a compare-and-set on the version (a lightweight transaction), atomic across
 * processes; with `process`, a per-process mutex. `subscribe` hears the changes made through
 * this backend instance only: Cassandra has no pub/sub (use Redis markers for cross-process
 * count events).
 */
export class CassandraMarkerStorage implements MarkerStorage {
  readonly #context: StorageContext;
  readonly #table: TableHandle;
  readonly #events: EventEmitter<{ change: [MarkerEvent] }>;

  constructor(
    context: StorageContext,
    table: TableHandle,
    events: EventEmitter<{ change: [MarkerEvent] }>,
  ) {
    this.#context = context;
    this.#table = table;
    this.#events = events;
  }

  get #session(): CassandraSession {
    return this.#context.session;
  }

  #rowKey(key: string): string {
    if (typeof key !== 'string' || !ascii.test(key)) {
      throw new InvalidArgumentError(
        `marker keys must be non-empty printable ASCII, got ${JSON.stringify(key)}`,
        { path: 'key', value: key },
      );
    }
    return this.#context.keyPrefix + key;
  }

  async #read(
    key: string,
    consistency?: number,
  ): Promise<{ lists: MarkerLists; version: bigint | null }> {
    await this.#table.layout();
    const result = await this.#session.execute(
      `SELECT unseen, unread, version FROM ${this.#table.cql} WHERE feed_id = ?`,
      [this.#rowKey(key)],
      {
        operation: 'markers.get',
        table: this.#table.qualified,
        key,
        consistency,
      },
    );
    const row = result.rows[0];
    if (!row) return { lists: { unseen: [], unread: [] }, version: null };
    return {
      lists: { unseen: listOf(row.unseen), unread: listOf(row.unread) },
      version:
        row.version === null || row.version === undefined ? null : BigInt(String(row.version)),
    };
  }

  async update(key: string, update: MarkerUpdate, maxLength: number): Promise<MarkerCounts> {
    const rowKey = this.#rowKey(key);
    const lists =
      this.#context.locks.options.mode === 'lwt'
        ? await this.#context.locks.withProcessMutex(`markers|${rowKey}`, () =>
            this.#compareAndSet(key, rowKey, update, maxLength),
          )
        : await this.#context.locks.withLock(`markers|${rowKey}`, async () => {
            const current = await this.#read(key, this.#context.modifyConsistency);
            const next = applyMarkerUpdate(current.lists, update, maxLength);
            await this.#session.execute(
              `UPDATE ${this.#table.cql} SET unseen = ?, unread = ?, version = ? WHERE feed_id = ?`,
              [next.unseen, next.unread, String((current.version ?? 0n) + 1n), rowKey],
              {
                operation: 'markers.update',
                table: this.#table.qualified,
                key,
                consistency: this.#context.modifyConsistency,
              },
            );
            return next;
          });
    const counts = { unseen: lists.unseen.length, unread: lists.unread.length };
    this.#events.emit('change', { key, ...counts });
    return counts;
  }

  /** Read, compute, write if the version did not change; on conflict, recompute from what Cassandra returned. */
  async #compareAndSet(
    key: string,
    rowKey: string,
    update: MarkerUpdate,
    maxLength: number,
  ): Promise<MarkerLists> {
    const table = this.#table.cql;
    const context = {
      operation: 'markers.update',
      table: this.#table.qualified,
      key,
      lightweight: true,
      consistency: this.#context.modifyConsistency,
    };
    let current = await this.#read(key, this.#context.modifyConsistency);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const next = applyMarkerUpdate(current.lists, update, maxLength);
      const result =
        current.version === null
          ? await this.#session.execute(
              `INSERT INTO ${table} (feed_id, unseen, unread, version) VALUES (?, ?, ?, ?) IF NOT EXISTS`,
              [rowKey, next.unseen, next.unread, '1'],
              context,
            )
          : await this.#session.execute(
              `UPDATE ${table} SET unseen = ?, unread = ?, version = ? WHERE feed_id = ? IF version = ?`,
              [
                next.unseen,
                next.unread,
                String(current.version + 1n),
                rowKey,
                String(current.version),
              ],
              context,
            );
      const row = result.rows[0];
      if (row?.['[applied]'] === true) return next;
      // Not applied: the row holds what another writer wrote (or nothing after a delete).
      // (INSERT ... IF NOT EXISTS returns the whole row; UPDATE ... IF returns only the version.)
      if (
        row &&
        'unseen' in row &&
        'unread' in row &&
        row.version !== null &&
        row.version !== undefined
      ) {
        current = {
          lists: { unseen: listOf(row.unseen), unread: listOf(row.unread) },
          version: BigInt(String(row.version)),
        };
      } else {
        current = await this.#read(key, this.#context.modifyConsistency);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
    }
    throw new CassandraLockError(
      key,
      `the markers of ${JSON.stringify(key)} kept changing: ${MAX_ATTEMPTS} compare-and-set attempts failed`,
    );
  }

  async get(key: string): Promise<MarkerLists> {
    return (await this.#read(key)).lists;
  }

  async counts(key: string): Promise<MarkerCounts> {
    const { lists } = await this.#read(key);
    return { unseen: lists.unseen.length, unread: lists.unread.length };
  }

  async delete(key: string): Promise<void> {
    const rowKey = this.#rowKey(key);
    await this.#table.layout();
    const lwt = this.#context.locks.options.mode === 'lwt';
    await this.#context.locks.withProcessMutex(`markers|${rowKey}`, async () => {
      // Rows updated with lightweight transactions are deleted with one too (mixing is not linearizable).
      await this.#session.execute(
        `DELETE FROM ${this.#table.cql} WHERE feed_id = ?${lwt ? ' IF EXISTS' : ''}`,
        [rowKey],
        {
          operation: 'markers.delete',
          table: this.#table.qualified,
          key,
          lightweight: lwt,
          consistency: this.#context.modifyConsistency,
        },
      );
    });
    this.#events.emit('change', { key, unseen: 0, unread: 0 });
  }

  async subscribe(listener: (event: MarkerEvent) => void): Promise<() => Promise<void>> {
    this.#events.on('change', listener);
    return async () => {
      this.#events.off('change', listener);
    };
  }
}
