import type { Activity } from '@sf/activity';
import type { ActivityStorage } from '@sf/feeds/backend';
import type { TieredCore } from './core.js';

/**
 * Activities: the durable backend's storage is the truth; the cache keeps copies, written after
 * the durable write. Reads take the copies the cache has and the rest from the durable store.
 * Copies are made on write only, never from a read: a copy made from a read could land after a
 * concurrent update or removal and bring back the old activity.
 */
export class TieredActivityStorage implements ActivityStorage {
  readonly #core: TieredCore;
  readonly #name: string;
  readonly #cache: ActivityStorage;
  readonly #durable: ActivityStorage;

  constructor(core: TieredCore, name: string, cache: ActivityStorage, durable: ActivityStorage) {
    this.#core = core;
    this.#name = name;
    this.#cache = cache;
    this.#durable = durable;
  }

  /** A copy that could not be written or removed is read from the durable store until it can. */
  async #dropCopies(ids: readonly string[]): Promise<void> {
    try {
      await this.#cache.removeMany(ids);
      for (const id of ids) this.#core.suspectActivities.delete(id);
    } catch (error) {
      this.#core.report('activity-remove', this.#name, ids, error);
      for (const id of ids) this.#core.suspectActivities.add(id);
    }
  }

  async addMany(activities: readonly Activity[]): Promise<number> {
    const added = await this.#durable.addMany(activities);
    if (activities.length === 0) return added;
    try {
      await this.#cache.addMany(activities);
      for (const activity of activities)
        this.#core.suspectActivities.delete(activity.serializationId);
    } catch (error) {
      const ids = activities.map((activity) => activity.serializationId);
      this.#core.report('activity-write', this.#name, ids, error);
      await this.#dropCopies(ids);
    }
    return added;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, Activity>> {
    const suspect = this.#core.suspectActivities;
    const cacheable = suspect.size === 0 ? ids : ids.filter((id) => !suspect.has(id));
    let found = new Map<string, Activity>();
    if (cacheable.length > 0) {
      try {
        found = await this.#cache.getMany(cacheable);
      } catch (error) {
        this.#core.report('activity-read', this.#name, cacheable, error);
      }
    }
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    const durable = await this.#durable.getMany(missing);
    const result = new Map<string, Activity>();
    for (const id of ids) {
      const activity = found.get(id) ?? durable.get(id);
      if (activity) result.set(id, activity);
    }
    return result;
  }

  async removeMany(ids: readonly string[]): Promise<number> {
    const removed = await this.#durable.removeMany(ids);
    if (ids.length > 0) await this.#dropCopies(ids);
    return removed;
  }
}
