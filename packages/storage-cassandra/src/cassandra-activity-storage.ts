import {
  type Activity,
  ActivityConflictError,
  InvalidActivityError,
  compareSerializationIds,
} from '@sf/activity';
import {
  type ActivityStorage,
  activitiesById,
  checkActivityConflict,
  checkActivityUpdate,
} from '@sf/feeds';
import { idParameter, varintText } from './codec.js';
import type { StorageContext, TableHandle } from './context.js';
import { CassandraSerializationError } from './errors.js';
import { idTypeOf } from './schema.js';
import { forEachLimited } from '@sf/feeds/backend';

const CHUNK = 100;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/**
 * Activities by id, one partition per activity (and key prefix). Cassandra feeds do not need it
 * (timelines hold whole activities, as in Stream Framework, whose Cassandra activity storage
 * stores nothing); it is here for code that calls `insertActivities` / `getActivities`, and for
 * aggregated rows written with activity ids only.
 */
export class CassandraActivityStorage implements ActivityStorage {
  readonly #context: StorageContext;
  readonly #table: TableHandle;
  readonly #foreignIds: TableHandle;

  constructor(context: StorageContext, table: TableHandle, foreignIds: TableHandle) {
    this.#context = context;
    this.#table = table;
    this.#foreignIds = foreignIds;
  }

  /**
   * The stored ids among `ids`, with the activity stored under each (undefined when its row
   * cannot be decoded: nothing to protect, it is overwritten).
   */
  async #present(ids: readonly string[]): Promise<Map<string, Activity | undefined>> {
    const table = this.#table.qualified;
    const cql = this.#table.cql;
    const present = new Map<string, Activity | undefined>();
    for (const part of chunks(ids, CHUNK)) {
      const result = await this.#context.session.execute(
        `SELECT activity_id, actor, verb, object, target, time, extra_context FROM ${cql} WHERE key_prefix = ? AND activity_id IN ?`,
        [this.#context.keyPrefix, part],
        { operation: 'activities.get', table },
      );
      for (const row of result.rows) {
        let activity: Activity | undefined;
        try {
          activity = this.#context.activityCodec.decode(row as never);
        } catch {
          activity = undefined;
        }
        present.set(varintText(row.activity_id), activity);
      }
    }
    return present;
  }

  /** Writes (or deletes) foreign-id index rows: one statement each, `writes.limit` at once. */
  async #index(verb: 'INSERT' | 'DELETE', entries: ReadonlyArray<[string, string]>): Promise<void> {
    if (entries.length === 0) return;
    const layout = await this.#foreignIds.layout();
    const cql =
      verb === 'INSERT'
        ? `INSERT INTO ${layout.cql} (key_prefix, foreign_id, activity_id) VALUES (?, ?, ?)`
        : `DELETE FROM ${layout.cql} WHERE key_prefix = ? AND foreign_id = ? AND activity_id = ?`;
    await forEachLimited(entries, this.#context.writes.limit, async ([foreignId, id]) => {
      await this.#context.session.execute(cql, [this.#context.keyPrefix, foreignId, id], {
        operation: verb === 'INSERT' ? 'foreignIds.add' : 'foreignIds.remove',
        table: layout.qualified,
      });
    });
  }

  /**
   * One read per foreign id (its partition), then the activities, to check each id still holds
   * an activity carrying that foreign id (index rows are written before the activities, so a
   * failed write can leave one behind); those that do not are dropped from the index.
   */
  async idsByForeignIds(foreignIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    const unique = [...new Set(foreignIds)];
    if (unique.length === 0) return found;
    const layout = await this.#foreignIds.layout();
    const candidates = new Map<string, string[]>();
    await forEachLimited(unique, this.#context.writes.limit, async (foreignId) => {
      const result = await this.#context.session.execute(
        `SELECT activity_id FROM ${layout.cql} WHERE key_prefix = ? AND foreign_id = ?`,
        [this.#context.keyPrefix, foreignId],
        { operation: 'foreignIds.get', table: layout.qualified },
      );
      if (result.rows.length > 0)
        candidates.set(
          foreignId,
          result.rows.map((row) => varintText(row.activity_id)),
        );
    });
    if (candidates.size === 0) return found;
    const activities = await this.getMany([...candidates.values()].flat());
    const stale: Array<[string, string]> = [];
    for (const [foreignId, ids] of candidates) {
      const live = ids.filter((id) => activities.get(id)?.foreignId === foreignId);
      for (const id of ids) if (!live.includes(id)) stale.push([foreignId, id]);
      if (live.length > 0) found.set(foreignId, live.sort(compareSerializationIds));
    }
    await this.#index('DELETE', stale);
    return found;
  }

  async addMany(activities: readonly Activity[]): Promise<number> {
    if (activities.length === 0) return 0;
    await this.#table.layout(); // the table (created first when autoSchema is on)
    const unique = activitiesById(activities);
    const present = await this.#present([...unique.keys()]);
    // A different activity under the same id is refused before anything is written (a read
    // then a write: two concurrent writers are not both caught, see the README).
    for (const [id, stored] of present) {
      if (stored) checkActivityConflict(stored, unique.get(id)!);
    }
    await this.#write(unique);
    return [...unique.keys()].filter((id) => !present.has(id)).length;
  }

  /**
   * Writes whole rows (an INSERT is an upsert), `writes.limit` at a time, after their foreign-id
   * index rows.
   */
  async #write(unique: ReadonlyMap<string, Activity>): Promise<void> {
    const layout = await this.#table.layout();
    const table = layout.qualified;
    const cql = layout.cql;
    const codec = this.#context.activityCodec;
    const rows = [...unique.values()].map((activity) => {
      const fields = codec.encode(activity);
      return [
        this.#context.keyPrefix,
        fields.activityId,
        idParameter(fields.actor, idTypeOf(layout, 'actor'), 'actor', table),
        fields.verb,
        idParameter(fields.object, idTypeOf(layout, 'object'), 'object', table),
        fields.target === null
          ? null
          : idParameter(fields.target, idTypeOf(layout, 'target'), 'target', table),
        fields.time,
        fields.extraContext,
      ];
    });
    // The index first: it may name an activity whose write failed (lookups check), never miss one.
    await this.#index(
      'INSERT',
      [...unique].flatMap(([id, activity]) =>
        activity.foreignId === null ? [] : [[activity.foreignId, id] as [string, string]],
      ),
    );
    await forEachLimited(rows, this.#context.writes.limit, async (params) => {
      await this.#context.session.execute(
        `INSERT INTO ${cql} (key_prefix, activity_id, actor, verb, object, target, time, extra_context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        params,
        { operation: 'activities.add', table },
      );
    });
  }

  /**
   * Update in place: one read of the stored ids and actors (per 100 ids), checked (all stored,
   * same actor), then the rows written again. A read then a write, as `addMany`: an activity
   * removed by another process between the two is written again (see the README).
   * @throws ActivityNotFoundError when an id is not stored; ActivityConflictError when it holds
   *   another actor's activity (nothing written)
   */
  async updateMany(activities: readonly Activity[]): Promise<number> {
    if (activities.length === 0) return 0;
    await this.#table.layout(); // the table (created first when autoSchema is on)
    const unique = activitiesById(activities);
    const present = await this.#present([...unique.keys()]);
    checkActivityUpdate(unique, new Map([...present.keys()].map((id) => [id, null])));
    for (const [id, stored] of present) {
      const incoming = unique.get(id)!;
      // A row that cannot be decoded is overwritten by its update; another actor's is refused.
      if (stored && stored.actorId !== incoming.actorId)
        throw new ActivityConflictError(id, stored.actorId, incoming.actorId);
    }
    await this.#write(unique);
    return unique.size;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, Activity>> {
    const found = new Map<string, Activity>();
    if (ids.length === 0) return found;
    const layout = await this.#table.layout();
    const table = layout.qualified;
    const cql = layout.cql;
    for (const id of ids) {
      if (typeof id !== 'string' || !/^(0|[1-9][0-9]*)$/.test(id))
        throw new InvalidActivityError(`activity ids are decimal strings, got ${String(id)}`, {
          field: 'id',
          value: id,
        });
    }
    await forEachLimited([...new Set(ids)], this.#context.writes.limit, async (id) => {
      const result = await this.#context.session.execute(
        `SELECT activity_id, actor, verb, object, target, time, extra_context FROM ${cql} WHERE key_prefix = ? AND activity_id = ?`,
        [this.#context.keyPrefix, id],
        { operation: 'activities.get', table },
      );
      const row = result.rows[0];
      if (!row) return;
      try {
        found.set(id, this.#context.activityCodec.decode(row as never));
      } catch (error) {
        throw new CassandraSerializationError(table, 'activity storage', id, error);
      }
    });
    return found;
  }

  async removeMany(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const layout = await this.#table.layout();
    const table = layout.qualified;
    const cql = layout.cql;
    const stored = await this.#present([...new Set(ids)]);
    const present = [...stored.keys()];
    for (const part of chunks(present, CHUNK)) {
      await this.#context.session.execute(
        `DELETE FROM ${cql} WHERE key_prefix = ? AND activity_id IN ?`,
        [this.#context.keyPrefix, part],
        {
          operation: 'activities.remove',
          table,
        },
      );
    }
    await this.#index(
      'DELETE',
      [...stored].flatMap(([id, activity]) =>
        activity?.foreignId == null ? [] : [[activity.foreignId, id] as [string, string]],
      ),
    );
    return present.length;
  }
}
