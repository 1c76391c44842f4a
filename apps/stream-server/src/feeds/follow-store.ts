import type { RedisClient } from '../items/redis-store.js';

/** Who follows whom, per tenant: what the manager asks for its fanouts. User ids are validated tokens. */
export interface FollowStore {
  /** Returns false when the user already followed the target. */
  follow(userId: string, targetId: string): Promise<boolean>;
  /** Returns false when the user did not follow the target. */
  unfollow(userId: string, targetId: string): Promise<boolean>;
  followers(userId: string): Promise<string[]>;
  following(userId: string): Promise<string[]>;
}

const byNumber = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

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
      this.#redis.sadd(`${this.#base}following:${userId}`, targetId),
      this.#redis.sadd(`${this.#base}followers:${targetId}`, userId),
    ]);
    return added === 1;
  }

  async unfollow(userId: string, targetId: string): Promise<boolean> {
    const [removed] = await Promise.all([
      this.#redis.srem(`${this.#base}following:${userId}`, targetId),
      this.#redis.srem(`${this.#base}followers:${targetId}`, userId),
    ]);
    return removed === 1;
  }

  async followers(userId: string): Promise<string[]> {
    return (await this.#redis.smembers(`${this.#base}followers:${userId}`)).sort(byNumber);
  }

  async following(userId: string): Promise<string[]> {
    return (await this.#redis.smembers(`${this.#base}following:${userId}`)).sort(byNumber);
  }
}
