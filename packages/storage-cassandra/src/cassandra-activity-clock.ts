import type {
  ActivityClockStorage,
  RebuildFinishedEvent,
  RebuildListeners,
  RebuildState,
} from '@sf/feeds/backend';
import type { StorageContext, TableHandle } from './context.js';

/** User ids per `IN` query (Cassandra warns on, and may refuse, large multi-partition INs). */
const IN_CHUNK = 100;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

const toNumber = (value: unknown): number => Number(String(value));

/**
 * The activity clock on Cassandra: `sf_activity_clock` (partition `(clock, user_id)`,
 * `last_active` ms) and `sf_feed_rebuilds` (same key, `started_at`, `expires_at`). Lookups are
 * `user_id IN (...)` queries of up to 100 users, sent together; a rebuild starts with a
 * lightweight transaction (`IF NOT EXISTS USING TTL`, or `IF expires_at = <seen>` to take over
 * a timed-out one), so one runs at a time across processes. The clock column holds the
 * storage's key prefix and the clock's name. Cassandra has no pub/sub: `subscribe` hears the
 * rebuilds this process finishes (like its marker events).
 */
export class CassandraActivityClock implements ActivityClockStorage {
  readonly #context: StorageContext;
  readonly #clock: TableHandle;
  readonly #rebuilds: TableHandle;
  readonly #name: string;
  readonly #clockName: string;
  readonly #listeners: RebuildListeners;

  constructor(
    context: StorageContext,
    clock: TableHandle,
    rebuilds: TableHandle,
    name: string,
    listeners: RebuildListeners,
  ) {
    this.#context = context;
    this.#clock = clock;
    this.#rebuilds = rebuilds;
    this.#name = context.keyPrefix + name;
    this.#clockName = name;
    this.#listeners = listeners;
  }

  async #select<R>(
    table: TableHandle,
    columns: string,
    userIds: readonly string[],
    operation: string,
    row: (row: Record<string, unknown>) => [string, R] | undefined,
  ): Promise<Map<string, R>> {
    const result = new Map<string, R>();
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return result;
    await table.layout();
    const sets = await Promise.all(
      chunks(ids, IN_CHUNK).map((part) =>
        this.#context.session.execute(
          `SELECT user_id, ${columns} FROM ${table.cql} WHERE clock = ? AND user_id IN ?`,
          [this.#name, part],
          { operation, table: table.qualified },
        ),
      ),
    );
    for (const set of sets) {
      for (const found of set.rows) {
        const entry = row(found);
        if (entry) result.set(entry[0], entry[1]);
      }
    }
    return result;
  }

  lastActive(userIds: readonly string[]): Promise<Map<string, number>> {
    return this.#select(this.#clock, 'last_active', userIds, 'activityClock.lastActive', (row) =>
      row.last_active === null || row.last_active === undefined
        ? undefined
        : [String(row.user_id), toNumber(row.last_active)],
    );
  }

  async touch(userIds: readonly string[], atMs: number): Promise<Map<string, number>> {
    const previous = await this.lastActive(userIds);
    await Promise.all(
      [...new Set(userIds)].map((userId) =>
        this.#context.session.execute(
          `INSERT INTO ${this.#clock.cql} (clock, user_id, last_active) VALUES (?, ?, ?)`,
          [this.#name, userId, String(Math.trunc(atMs))],
          { operation: 'activityClock.touch', table: this.#clock.qualified, key: userId },
        ),
      ),
    );
    return previous;
  }

  async startRebuild(userId: string, atMs: number, timeoutMs: number): Promise<boolean> {
    await this.#rebuilds.layout();
    const ttl = Math.max(1, Math.ceil(timeoutMs / 1000));
    const context = {
      operation: 'activityClock.startRebuild',
      table: this.#rebuilds.qualified,
      key: userId,
      consistency: this.#context.modifyConsistency,
      lightweight: true,
    };
    const started = String(Math.trunc(atMs));
    const expires = String(Math.trunc(atMs + timeoutMs));
    const inserted = await this.#context.session.execute(
      `INSERT INTO ${this.#rebuilds.cql} (clock, user_id, started_at, expires_at) VALUES (?, ?, ?, ?) IF NOT EXISTS USING TTL ?`,
      [this.#name, userId, started, expires, ttl],
      context,
    );
    const row = inserted.rows[0] as unknown as Record<string, unknown> | undefined;
    if (row?.['[applied]'] === true) return true;
    if (row?.expires_at === undefined || row.expires_at === null) return false;
    if (toNumber(row.expires_at) > atMs) return false;
    // The running one timed out (its TTL has not removed it yet): take over, if still that one.
    const updated = await this.#context.session.execute(
      `UPDATE ${this.#rebuilds.cql} USING TTL ? SET started_at = ?, expires_at = ? WHERE clock = ? AND user_id = ? IF expires_at = ?`,
      [ttl, started, expires, this.#name, userId, row.expires_at],
      context,
    );
    return (
      (updated.rows[0] as unknown as Record<string, unknown> | undefined)?.['[applied]'] === true
    );
  }

  async finishRebuild(userId: string, startedAt: number): Promise<void> {
    await this.#rebuilds.layout();
    const deleted = await this.#context.session.execute(
      `DELETE FROM ${this.#rebuilds.cql} WHERE clock = ? AND user_id = ? IF started_at = ?`,
      [this.#name, userId, String(Math.trunc(startedAt))],
      {
        operation: 'activityClock.finishRebuild',
        table: this.#rebuilds.qualified,
        key: userId,
        consistency: this.#context.modifyConsistency,
        lightweight: true,
      },
    );
    const row = deleted.rows[0] as unknown as Record<string, unknown> | undefined;
    if (row?.['[applied]'] === true)
      this.#listeners.emit({ clock: this.#clockName, userId, startedAt });
  }

  async subscribe(listener: (event: RebuildFinishedEvent) => void): Promise<() => Promise<void>> {
    return this.#listeners.add(listener);
  }

  async rebuildStatus(
    userIds: readonly string[],
    atMs: number,
  ): Promise<Map<string, RebuildState>> {
    return this.#select(
      this.#rebuilds,
      'started_at, expires_at',
      userIds,
      'activityClock.rebuildStatus',
      (row) => {
        if (row.expires_at === null || row.expires_at === undefined) return undefined;
        const state = { startedAt: toNumber(row.started_at), expiresAt: toNumber(row.expires_at) };
        return state.expiresAt > atMs ? [String(row.user_id), state] : undefined;
      },
    );
  }

  async delete(userIds: readonly string[]): Promise<void> {
    const ids = [...new Set(userIds)];
    await Promise.all(
      ids.flatMap((userId) =>
        [this.#clock, this.#rebuilds].map(async (table) => {
          await table.layout();
          await this.#context.session.execute(
            `DELETE FROM ${table.cql} WHERE clock = ? AND user_id = ?`,
            [this.#name, userId],
            { operation: 'activityClock.delete', table: table.qualified, key: userId },
          );
        }),
      ),
    );
  }
}
