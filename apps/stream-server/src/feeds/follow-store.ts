import type { RedisClient } from '../items/redis-store.js';
import { namingKeys } from '../redis-state.js';

/** Who follows whom, per tenant: what the manager asks for its fanouts. User ids are validated tokens. */
export interface FollowStore {
  /** Returns false when the user already followed the target. */
  follow(userId: string, targetId: string): Promise<boolean>;
  /** Returns false when the user did not follow the target. */
  unfollow(userId: string, targetId: string): Promise<boolean>;
  followers(userId: string): Promise<string[]>;
  following(userId: string): Promise<string[]>;
}

export const byNumber = (a: string, b: string) =>
  a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

export class MemoryFollowStore implements FollowStore {
  readonly #following = new Map<string, Set<string>>();
  readonly #followers = new Map<string, Set<string>>();

  static #add(map: Map<string, Set<string>>, key: string, value: string): boolean {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    const before = set.size;
    set.add(value);
    return set.size > before;
  }

  static #remove(map: Map<string, Set<string>>, key: string, value: string): boolean {
    const set = map.get(key);
    if (!set?.delete(value)) return false;
    if (set.size === 0) map.delete(key);
    return true;
  }

  async follow(userId: string, targetId: string): Promise<boolean> {
    MemoryFollowStore.#add(this.#followers, targetId, userId);
    return MemoryFollowStore.#add(this.#following, userId, targetId);
  }

  async unfollow(userId: string, targetId: string): Promise<boolean> {
    MemoryFollowStore.#remove(this.#followers, targetId, userId);
    return MemoryFollowStore.#remove(this.#following, userId, targetId);
  }

  async followers(userId: string): Promise<string[]> {
    return [...(this.#followers.get(userId) ?? [])].sort(byNumber);
  }

  async following(userId: string): Promise<string[]> {
    return [...(this.#following.get(userId) ?? [])].sort(byNumber);
  }
}

/**
 * Follow sets in Redis: `<base>following:<user>` and `<base>followers:<user>`. The two writes of
 * a follow are separate commands (they may live on different cluster nodes); a crash between
 * them leaves a follower that `following` does not list, which the next follow or unfollow fixes.
 */
export class RedisFollowStore implements FollowStore {
  readonly #redis: RedisClient;
  readonly #base: string;

  constructor(redis: RedisClient, base: string) {
    this.#redis = redis;
    this.#base = base;
  }

  async follow(userId: string, targetId: string): Promise<boolean> {
    const [added] = await Promise.all([
      this.#set(`following:${userId}`, (key) => this.#redis.sadd(key, targetId)),
      this.#set(`followers:${targetId}`, (key) => this.#redis.sadd(key, userId)),
    ]);
    return added === 1;
  }

  async unfollow(userId: string, targetId: string): Promise<boolean> {
    const [removed] = await Promise.all([
      this.#set(`following:${userId}`, (key) => this.#redis.srem(key, targetId)),
      this.#set(`followers:${targetId}`, (key) => this.#redis.srem(key, userId)),
    ]);
    return removed === 1;
  }

  async followers(userId: string): Promise<string[]> {
    return (await this.#set(`followers:${userId}`, (key) => this.#redis.smembers(key))).sort(
      byNumber,
    );
  }

  async following(userId: string): Promise<string[]> {
    return (await this.#set(`following:${userId}`, (key) => this.#redis.smembers(key))).sort(
      byNumber,
    );
  }

  /** A call on one follow set; a key of the wrong type is a CORRUPT_STORAGE error naming it. */
  #set<T>(name: string, run: (key: string) => Promise<T>): Promise<T> {
    const key = `${this.#base}${name}`;
    return namingKeys(
      this.#redis,
      () => [[key, 'set']],
      () => run(key),
    );
  }
}
