import type { Activity } from '@sf/activity';
import { activitiesById, checkActivityConflict, checkActivityUpdate } from '@sf/feeds/backend';
import type { ActivityStorage } from '@sf/feeds/backend';
import type { Serializer } from '@sf/serializers';
import { decodeRows, textOf, type PostgresContext } from './context.js';
import { checkId, uniqueIds } from './ids.js';

/**
 * Activities in one table, `activities (id numeric PRIMARY KEY, value bytea)`, shared by every
 * feed of the backend. Every call is one statement, except `addMany`, one transaction of two
 * (three when it overwrites): insert the new ids, then lock and check the rows that already
 * existed before overwriting them.
 */
export class PostgresActivityStorage implements ActivityStorage {
  readonly #context: PostgresContext;
  readonly #serializer: Serializer<Activity>;
  readonly #format: string | undefined;

  constructor(context: PostgresContext, serializer: Serializer<Activity>, format?: string) {
    this.#context = context;
    this.#serializer = serializer;
    this.#format = format;
  }

  get #table(): string {
    return this.#context.tables.activities;
  }

  /**
   * Inserts the ids that are absent (`ON CONFLICT DO NOTHING`); locks the rows of the others
   * (`FOR UPDATE`), refuses the call when one holds another actor's activity (rolling back the
   * inserts too), and overwrites the rest whose value changed. Ids are written in order, so two
   * concurrent calls do not deadlock on each other's rows.
   * @throws ActivityConflictError when an id holds another actor's activity
   */
  async addMany(activities: readonly Activity[]): Promise<number> {
    if (activities.length === 0) return 0;
    const byId = activitiesById(activities);
    const ids = [...byId.keys()].map((id) => checkId(id, 'serializationId'));
    ids.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    const values = ids.map((id) => Buffer.from(this.#serializer.dumps(byId.get(id)!), 'utf8'));
    const context = { operation: 'activities.addMany' };
    const foreign = ids.filter((id) => byId.get(id)!.foreignId !== null);
    return this.#context.runner.transaction(context, async (tx) => {
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO ${this.#table} (id, value)
         SELECT * FROM unnest($1::numeric[], $2::bytea[]) ORDER BY 1
         ON CONFLICT (id) DO NOTHING RETURNING id::text AS id`,
        [ids, values],
      );
      // The foreign-id index, in the same transaction as the activities (schema version 4).
      if (foreign.length > 0) {
        await tx.query(
          `INSERT INTO ${this.#context.tables.foreignIds} (foreign_id, id)
           SELECT * FROM unnest($1::text[], $2::numeric[]) ORDER BY 1, 2
           ON CONFLICT DO NOTHING`,
          [foreign.map((id) => byId.get(id)!.foreignId), foreign],
        );
      }
      if (inserted.length === ids.length) return inserted.length;
      const fresh = new Set(inserted.map((row) => row.id));
      const position = new Map(ids.map((id, index) => [id, index]));
      const existing = ids.filter((id) => !fresh.has(id));
      const stored = await tx.query<{ id: string; value: Buffer }>(
        `SELECT id::text AS id, value FROM ${this.#table}
         WHERE id = ANY($1::numeric[]) ORDER BY id FOR UPDATE`,
        [existing],
      );
      const changedIds: string[] = [];
      const changedValues: Buffer[] = [];
      for (const row of stored) {
        const value = values[position.get(row.id)!]!;
        if (row.value.equals(value)) continue;
        let previous: Activity | undefined;
        try {
          previous = this.#serializer.loads(textOf(row.value));
        } catch {
          // An undecodable value holds no activity to protect: overwritten, as Redis does.
        }
        if (previous) checkActivityConflict(previous, byId.get(row.id)!);
        changedIds.push(row.id);
        changedValues.push(value);
      }
      if (changedIds.length > 0) {
        await tx.query(
          `UPDATE ${this.#table} AS a SET value = v.value
           FROM unnest($1::numeric[], $2::bytea[]) AS v(id, value) WHERE a.id = v.id`,
          [changedIds, changedValues],
        );
      }
      return inserted.length;
    });
  }

  /**
   * Update in place, one transaction of two statements: lock the rows (`FOR UPDATE`, in id order)
   * and check them (all stored, same actor), then `UPDATE ... FROM unnest(...)` the ones whose
   * value changes. All or none.
   * @throws ActivityNotFoundError when an id is not stored; ActivityConflictError when it holds
   *   another actor's activity (nothing written)
   */
  async updateMany(activities: readonly Activity[]): Promise<number> {
    if (activities.length === 0) return 0;
    const byId = activitiesById(activities);
    const ids = [...byId.keys()].map((id) => checkId(id, 'serializationId'));
    ids.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    const values = new Map(
      ids.map((id) => [id, Buffer.from(this.#serializer.dumps(byId.get(id)!), 'utf8')]),
    );
    const context = { operation: 'activities.updateMany' };
    return this.#context.runner.transaction(context, async (tx) => {
      const rows = await tx.query<{ id: string; value: Buffer }>(
        `SELECT id::text AS id, value FROM ${this.#table}
         WHERE id = ANY($1::numeric[]) ORDER BY id FOR UPDATE`,
        [ids],
      );
      const stored = new Map<string, Activity | null>();
      const changed: string[] = [];
      for (const row of rows) {
        let previous: Activity | null = null;
        try {
          previous = this.#serializer.loads(textOf(row.value));
        } catch {
          // An undecodable value holds no activity to protect: overwritten, as addMany does.
        }
        stored.set(row.id, previous);
        if (!row.value.equals(values.get(row.id)!)) changed.push(row.id);
      }
      checkActivityUpdate(byId, stored);
      if (changed.length > 0) {
        await tx.query(
          `UPDATE ${this.#table} AS a SET value = v.value
           FROM unnest($1::numeric[], $2::bytea[]) AS v(id, value) WHERE a.id = v.id`,
          [changed, changed.map((id) => values.get(id)!)],
        );
      }
      return ids.length;
    });
  }

  async getMany(ids: readonly string[]): Promise<Map<string, Activity>> {
    const found = new Map<string, Activity>();
    if (ids.length === 0) return found;
    const rows = await this.#context.runner.query<{ id: string; value: Buffer }>(
      { operation: 'activities.getMany' },
      `SELECT id::text AS id, value FROM ${this.#table} WHERE id = ANY($1::numeric[])`,
      [uniqueIds(ids)],
    );
    const { decoded, failed } = decodeRows(
      rows,
      (row) => textOf(row.value),
      (value) => this.#serializer.loads(value),
    );
    for (const { row, item } of decoded) found.set(row.id, item);
    for (const row of failed) {
      this.#context.failedRows(
        this.#context.tables.label(this.#table),
        row.id,
        { kind: 'activity', format: this.#format, decoded: found.size },
        [row],
      );
    }
    return found;
  }

  /** One statement: the index rows of the foreign ids, ascending by id. */
  async idsByForeignIds(foreignIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    if (foreignIds.length === 0) return found;
    const rows = await this.#context.runner.query<{ foreign_id: string; id: string }>(
      { operation: 'activities.idsByForeignIds' },
      `SELECT foreign_id, id::text AS id FROM ${this.#context.tables.foreignIds}
       WHERE foreign_id = ANY($1::text[]) ORDER BY foreign_id, id`,
      [[...new Set(foreignIds)]],
    );
    for (const row of rows) {
      const ids = found.get(row.foreign_id);
      if (ids) ids.push(row.id);
      else found.set(row.foreign_id, [row.id]);
    }
    return found;
  }

  /** One statement; the foreign-id index rows go with the activities (ON DELETE CASCADE). */
  async removeMany(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.#context.runner.query<{ n: number }>(
      { operation: 'activities.removeMany' },
      `WITH removed AS (DELETE FROM ${this.#table} WHERE id = ANY($1::numeric[]) RETURNING 1)
       SELECT count(*)::int AS n FROM removed`,
      [uniqueIds(ids)],
    );
    return rows[0]?.n ?? 0;
  }
}
