import { encodeRebuildEvent, subscribeRebuildEvents } from '@sf/feeds/backend';
import type { ActivityClockStorage, RebuildFinishedEvent, RebuildState } from '@sf/feeds/backend';
import type { PostgresContext } from './context.js';
import type { CountsListener } from './counts-listener.js';
import { PostgresConfigurationError } from './errors.js';

interface ClockRow {
  user_id: string;
  last_active: string;
}

interface RebuildRow {
  user_id: string;
  started_at: string;
  expires_at: string;
}

/**
 * The activity clock on PostgreSQL (schema version 5): `activity_clock` (clock, user_id,
 * last_active) and `feed_rebuilds` (clock, user_id, started_at, expires_at). Each call is one
 * statement: a chunk's lookup is one `= ANY($2)` query, a touch one upsert that returns the
 * times it replaced, and starting a rebuild one upsert that only takes over a timed-out one.
 * Finishing one deletes its row and, in the same statement, NOTIFYs the backend's counts channel
 * of it (delivered at commit to every process LISTENing), unless that channel is `null`.
 */
export class PostgresActivityClock implements ActivityClockStorage {
  readonly #context: PostgresContext;
  readonly #name: string;
  readonly #listener: CountsListener | null;

  constructor(context: PostgresContext, name: string, listener: CountsListener | null = null) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new PostgresConfigurationError(
        `an activity clock name must be a non-empty string, got ${JSON.stringify(name)}`,
        { path: 'activityClock.name', value: name },
      );
    }
    this.#context = context;
    this.#name = name;
    this.#listener = listener;
  }

  async touch(userIds: readonly string[], atMs: number): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return result;
    const table = this.#context.tables.activityClock;
    // The old values: a self-join on the upserted rows' previous versions, in one statement.
    const rows = await this.#context.runner.query<ClockRow>(
      { operation: 'activityClock.touch' },
      `WITH old AS (
         SELECT user_id, last_active FROM ${table} WHERE clock = $1 AND user_id = ANY($2::text[])
       ), up AS (
         INSERT INTO ${table} (clock, user_id, last_active)
         SELECT $1, u, $3::bigint FROM unnest($2::text[]) AS u
         ON CONFLICT (clock, user_id) DO UPDATE SET last_active = EXCLUDED.last_active
       )
       SELECT user_id, last_active::text FROM old`,
      [this.#name, ids, atMs],
    );
    for (const row of rows) result.set(row.user_id, Number(row.last_active));
    return result;
  }

  async lastActive(userIds: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    if (userIds.length === 0) return result;
    const rows = await this.#context.runner.query<ClockRow>(
      { operation: 'activityClock.lastActive' },
      `SELECT user_id, last_active::text FROM ${this.#context.tables.activityClock}
        WHERE clock = $1 AND user_id = ANY($2::text[])`,
      [this.#name, [...new Set(userIds)]],
    );
    for (const row of rows) result.set(row.user_id, Number(row.last_active));
    return result;
  }

  async startRebuild(userId: string, atMs: number, timeoutMs: number): Promise<boolean> {
    const table = this.#context.tables.feedRebuilds;
    const rows = await this.#context.runner.query<{ started_at: string }>(
      { operation: 'activityClock.startRebuild', key: userId },
      `INSERT INTO ${table} AS r (clock, user_id, started_at, expires_at)
       VALUES ($1, $2, $3::bigint, $3::bigint + $4::bigint)
       ON CONFLICT (clock, user_id) DO UPDATE
         SET started_at = EXCLUDED.started_at, expires_at = EXCLUDED.expires_at
         WHERE r.expires_at <= EXCLUDED.started_at
       RETURNING started_at::text`,
      [this.#name, userId, atMs, Math.ceil(timeoutMs)],
    );
    return rows.length === 1;
  }

  async finishRebuild(userId: string, startedAt: number): Promise<void> {
    const remove = `DELETE FROM ${this.#context.tables.feedRebuilds}
        WHERE clock = $1 AND user_id = $2 AND started_at = $3::bigint`;
    const context = { operation: 'activityClock.finishRebuild', key: userId };
    if (this.#listener === null) {
      await this.#context.runner.query(context, remove, [this.#name, userId, startedAt]);
      return;
    }
    // Only a rebuild that really ended (its row deleted) is announced.
    await this.#context.runner.query(
      context,
      `WITH d AS (${remove} RETURNING 1) SELECT pg_notify($4::text, $5::text) FROM d`,
      [
        this.#name,
        userId,
        startedAt,
        this.#listener.channel,
        encodeRebuildEvent({ clock: this.#name, userId, startedAt }),
      ],
    );
  }

  subscribe(listener: (event: RebuildFinishedEvent) => void): Promise<() => Promise<void>> {
    return subscribeRebuildEvents(
      this.#name,
      this.#listener,
      { storage: 'PostgreSQL', option: 'postgresStorage.countsChannel' },
      listener,
    );
  }

  async rebuildStatus(
    userIds: readonly string[],
    atMs: number,
  ): Promise<Map<string, RebuildState>> {
    const result = new Map<string, RebuildState>();
    if (userIds.length === 0) return result;
    const rows = await this.#context.runner.query<RebuildRow>(
      { operation: 'activityClock.rebuildStatus' },
      `SELECT user_id, started_at::text, expires_at::text FROM ${this.#context.tables.feedRebuilds}
        WHERE clock = $1 AND user_id = ANY($2::text[]) AND expires_at > $3::bigint`,
      [this.#name, [...new Set(userIds)], atMs],
    );
    for (const row of rows)
      result.set(row.user_id, {
        startedAt: Number(row.started_at),
        expiresAt: Number(row.expires_at),
      });
    return result;
  }

  async delete(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const ids = [...new Set(userIds)];
    const { activityClock, feedRebuilds } = this.#context.tables;
    await this.#context.runner.query(
      { operation: 'activityClock.delete' },
      `WITH gone AS (DELETE FROM ${feedRebuilds} WHERE clock = $1 AND user_id = ANY($2::text[]))
       DELETE FROM ${activityClock} WHERE clock = $1 AND user_id = ANY($2::text[])`,
      [this.#name, ids],
    );
  }
}
