import { postgresCall, quoteIdentifier } from '../postgres-state.js';
import type { Queryable } from '../postgres-state.js';
import { byNumber } from './follow-store.js';
import type { FollowStore } from './follow-store.js';

/**
 * The follow graph of one tenant in PostgreSQL: one row per follow in `follows` (tenant,
 * user_id, target_id), its primary key answering `following` and the `follows_by_target` index
 * answering `followers`. A follow is one row, so unlike the two Redis sets the two directions
 * can never disagree.
 */
export class PostgresFollowStore implements FollowStore {
  readonly #db: Queryable;
  readonly #table: string;
  readonly #tenant: string;

  constructor(db: Queryable, schema: string, tenant: string) {
    this.#db = db;
    this.#table = `${quoteIdentifier(schema)}.follows`;
    this.#tenant = tenant;
  }

  async follow(userId: string, targetId: string): Promise<boolean> {
    const result = await this.#run(
      `INSERT INTO ${this.#table} (tenant, user_id, target_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [userId, targetId],
    );
    return result.rowCount === 1;
  }

  async unfollow(userId: string, targetId: string): Promise<boolean> {
    const result = await this.#run(
      `DELETE FROM ${this.#table} WHERE tenant = $1 AND user_id = $2 AND target_id = $3`,
      [userId, targetId],
    );
    return result.rowCount === 1;
  }

  async followers(userId: string): Promise<string[]> {
    const result = await this.#run<{ id: string }>(
      `SELECT user_id AS id FROM ${this.#table} WHERE tenant = $1 AND target_id = $2`,
      [userId],
    );
    return result.rows.map((row) => row.id).sort(byNumber);
  }

  async following(userId: string): Promise<string[]> {
    const result = await this.#run<{ id: string }>(
      `SELECT target_id AS id FROM ${this.#table} WHERE tenant = $1 AND user_id = $2`,
      [userId],
    );
    return result.rows.map((row) => row.id).sort(byNumber);
  }

  #run<R extends Record<string, unknown>>(text: string, values: string[]) {
    return postgresCall(`the follows of tenant ${this.#tenant}`, () =>
      this.#db.query<R>(text, [this.#tenant, ...values]),
    );
  }
}
