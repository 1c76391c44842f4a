import { deleteKeysWithPrefix } from '@sf/storage-redis';
import type { Redis } from 'ioredis';
import { PATTERNS, olderThan } from './store.js';
import type {
  Board,
  DomainStore,
  LastFanout,
  Pattern,
  Pin,
  StatsCounters,
  Totals,
  User,
} from './store.js';

/**
 * The domain store in Redis (plain hashes, sets and sorted sets), so that the web process, the
 * seed command and the fanout workers see the same users, follows and stats. Keys start with
 * `prefix` (default `pinterest:app:`); `clear()` deletes them all.
 */
export class RedisStore implements DomainStore {
  readonly kind = 'redis' as const;
  readonly prefix: string;
  readonly #redis: Redis;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.prefix = prefix;
  }

  #k(...parts: Array<string | number>): string {
    return this.prefix + parts.join(':');
  }

  async createUser(input: Omit<User, 'id'>): Promise<User> {
    const id = await this.#redis.incr(this.#k('seq', 'user'));
    const user: User = { ...input, id };
    await this.#redis
      .multi()
      .hset(this.#k('u', id), {
        name: user.name,
        handle: user.handle,
        hue: user.hue,
        createdAt: user.createdAt,
      })
      .zadd(this.#k('users'), id, String(id))
      .hset(this.#k('handles'), user.handle.toLowerCase(), id)
      .hincrby(this.#k('counts'), 'users', 1)
      .exec();
    return user;
  }

  /**
   * The hashes of records by id, in one round trip. A key that does not exist is left out; a key
   * of another type gives an empty hash, so the record reads as corrupt (every field missing)
   * instead of failing the whole read (pages skip and report corrupt records, see records.ts).
   */
  async #hashes(
    kind: string,
    ids: readonly number[],
  ): Promise<Map<number, Record<string, string>>> {
    const unique = [...new Set(ids)];
    const result = new Map<number, Record<string, string>>();
    if (unique.length === 0) return result;
    const pipeline = this.#redis.pipeline();
    for (const id of unique) pipeline.hgetall(this.#k(kind, id));
    const replies = (await pipeline.exec()) ?? [];
    unique.forEach((id, i) => {
      const [error, hash] = replies[i] ?? [null, {}];
      if (error) {
        if (!/WRONGTYPE/.test(error.message)) throw error;
        result.set(id, {});
      } else if (Object.keys(hash as Record<string, string>).length > 0) {
        result.set(id, hash as Record<string, string>);
      }
    });
    return result;
  }

  /** Records from their hashes: a missing or unreadable field becomes '' or NaN (and fails records.ts's checks). */
  async #records<T>(
    kind: string,
    ids: readonly number[],
    parse: (id: number, hash: Record<string, string>) => T,
  ): Promise<Map<number, T>> {
    const hashes = await this.#hashes(kind, ids);
    return new Map([...hashes].map(([id, hash]) => [id, parse(id, hash)]));
  }

  #user(id: number, hash: Record<string, string>): User {
    return {
      id,
      name: hash.name ?? '',
      handle: hash.handle ?? '',
      hue: Number(hash.hue ?? 0),
      createdAt: Number(hash.createdAt ?? NaN),
    };
  }

  async getUser(id: number): Promise<User | undefined> {
    return (await this.getUsers([id])).get(id);
  }

  async getUsers(ids: readonly number[]): Promise<Map<number, User>> {
    return this.#records('u', ids, (id, hash) => this.#user(id, hash));
  }

  async listUsers(): Promise<User[]> {
    const ids = (await this.#redis.zrange(this.#k('users'), 0, -1)).map(Number);
    const users = await this.getUsers(ids);
    return ids.map((id) => users.get(id)).filter((user): user is User => user !== undefined);
  }

  async findUserByHandle(handle: string): Promise<User | undefined> {
    const id = await this.#redis.hget(this.#k('handles'), handle.toLowerCase());
    return id === null ? undefined : this.getUser(Number(id));
  }

  async createBoard(input: Omit<Board, 'id'>): Promise<Board> {
    const id = await this.#redis.incr(this.#k('seq', 'board'));
    const board: Board = { ...input, id };
    await this.#redis
      .multi()
      .hset(this.#k('b', id), {
        userId: board.userId,
        name: board.name,
        createdAt: board.createdAt,
      })
      .zadd(this.#k('u', board.userId, 'boards'), id, String(id))
      .hincrby(this.#k('counts'), 'boards', 1)
      .exec();
    return board;
  }

  #board(id: number, hash: Record<string, string>): Board {
    return {
      id,
      userId: Number(hash.userId),
      name: hash.name ?? '',
      createdAt: Number(hash.createdAt ?? NaN),
    };
  }

  async getBoard(id: number): Promise<Board | undefined> {
    return (await this.getBoards([id])).get(id);
  }

  async getBoards(ids: readonly number[]): Promise<Map<number, Board>> {
    return this.#records('b', ids, (id, hash) => this.#board(id, hash));
  }

  async listBoards(userId: number): Promise<Board[]> {
    const ids = (await this.#redis.zrange(this.#k('u', userId, 'boards'), 0, -1)).map(Number);
    const boards = await this.getBoards(ids);
    return ids.map((id) => boards.get(id)).filter((board): board is Board => board !== undefined);
  }

  async createPin(input: Omit<Pin, 'id'>): Promise<Pin> {
    const id = await this.#redis.incr(this.#k('seq', 'pin'));
    const pin: Pin = { ...input, id };
    await this.#redis
      .multi()
      .hset(this.#k('p', id), {
        userId: pin.userId,
        boardId: pin.boardId,
        title: pin.title,
        hue: pin.hue,
        pattern: pin.pattern,
        createdAt: pin.createdAt,
      })
      .zadd(this.#k('b', pin.boardId, 'pins'), pin.createdAt, String(id))
      .hincrby(this.#k('counts'), 'pins', 1)
      .exec();
    return pin;
  }

  #pin(id: number, hash: Record<string, string>): Pin {
    const pattern = (PATTERNS as readonly string[]).includes(hash.pattern ?? '')
      ? (hash.pattern as Pattern)
      : 'stripes';
    return {
      id,
      userId: Number(hash.userId),
      boardId: Number(hash.boardId),
      title: hash.title ?? '',
      hue: Number(hash.hue ?? 0),
      pattern,
      createdAt: Number(hash.createdAt ?? NaN),
    };
  }

  async getPin(id: number): Promise<Pin | undefined> {
    return (await this.getPins([id])).get(id);
  }

  async getPins(ids: readonly number[]): Promise<Map<number, Pin>> {
    return this.#records('p', ids, (id, hash) => this.#pin(id, hash));
  }

  async renamePin(id: number, title: string): Promise<Pin | undefined> {
    // HSET only if the pin exists (a deleted pin is not brought back as a title alone).
    const key = this.#k('p', id);
    const renamed = await this.#redis.eval(
      "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'title', ARGV[1]) return 1 end return 0",
      1,
      key,
      title,
    );
    return renamed === 1 ? this.getPin(id) : undefined;
  }

  async deletePin(id: number): Promise<boolean> {
    const pin = await this.getPin(id);
    if (!pin) return false;
    const loves = await this.#redis.scard(this.#k('p', id, 'loves'));
    const replies = await this.#redis
      .multi()
      .del(this.#k('p', id))
      .del(this.#k('p', id, 'loves'))
      .zrem(this.#k('b', pin.boardId, 'pins'), String(id))
      .exec();
    const deleted = replies?.[0]?.[1] === 1;
    if (deleted) {
      await this.#redis
        .multi()
        .hincrby(this.#k('counts'), 'pins', -1)
        .hincrby(this.#k('counts'), 'loves', -loves)
        .exec();
    }
    return deleted;
  }

  async listBoardPins(boardId: number, options: { limit: number; before?: Pin }): Promise<Pin[]> {
    const { before, limit } = options;
    const key = this.#k('b', boardId, 'pins');
    // Pins of the same millisecond are ordered by id: read a little more and filter exactly.
    const ids = before
      ? await this.#redis.zrevrangebyscore(key, before.createdAt, '-inf', 'LIMIT', 0, limit + 50)
      : await this.#redis.zrevrange(key, 0, limit - 1);
    const pins = await this.getPins(ids.map(Number));
    return [...pins.values()]
      .filter((pin) => !before || olderThan(pin, before))
      .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)
      .slice(0, limit);
  }

  async countBoardPins(boardIds: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    if (boardIds.length === 0) return result;
    const pipeline = this.#redis.pipeline();
    for (const id of boardIds) pipeline.zcard(this.#k('b', id, 'pins'));
    const replies = (await pipeline.exec()) ?? [];
    boardIds.forEach((id, i) => result.set(id, Number(replies[i]?.[1] ?? 0)));
    return result;
  }

  async follow(userId: number, targetId: number): Promise<boolean> {
    const replies = await this.#redis
      .multi()
      .sadd(this.#k('u', userId, 'following'), String(targetId))
      .sadd(this.#k('u', targetId, 'followers'), String(userId))
      .exec();
    const added = replies?.[0]?.[1] === 1;
    if (added) await this.#redis.hincrby(this.#k('counts'), 'follows', 1);
    return added;
  }

  async unfollow(userId: number, targetId: number): Promise<boolean> {
    const replies = await this.#redis
      .multi()
      .srem(this.#k('u', userId, 'following'), String(targetId))
      .srem(this.#k('u', targetId, 'followers'), String(userId))
      .exec();
    const removed = replies?.[0]?.[1] === 1;
    if (removed) await this.#redis.hincrby(this.#k('counts'), 'follows', -1);
    return removed;
  }

  async followsOf(userId: number, targetIds: readonly number[]): Promise<Set<number>> {
    if (targetIds.length === 0) return new Set();
    const flags = await this.#redis.smismember(
      this.#k('u', userId, 'following'),
      ...targetIds.map(String),
    );
    return new Set(targetIds.filter((_, i) => flags[i] === 1));
  }

  async followerIds(userId: number): Promise<number[]> {
    return (await this.#redis.smembers(this.#k('u', userId, 'followers')))
      .map(Number)
      .sort((a, b) => a - b);
  }

  async followingIds(userId: number): Promise<number[]> {
    return (await this.#redis.smembers(this.#k('u', userId, 'following')))
      .map(Number)
      .sort((a, b) => a - b);
  }

  async followerCounts(userIds: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    if (userIds.length === 0) return result;
    const pipeline = this.#redis.pipeline();
    for (const id of userIds) pipeline.scard(this.#k('u', id, 'followers'));
    const replies = (await pipeline.exec()) ?? [];
    userIds.forEach((id, i) => result.set(id, Number(replies[i]?.[1] ?? 0)));
    return result;
  }

  async followingCount(userId: number): Promise<number> {
    return this.#redis.scard(this.#k('u', userId, 'following'));
  }

  async love(userId: number, pinId: number): Promise<boolean> {
    const added = (await this.#redis.sadd(this.#k('p', pinId, 'loves'), String(userId))) === 1;
    if (added) await this.#redis.hincrby(this.#k('counts'), 'loves', 1);
    return added;
  }

  async loveCounts(pinIds: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    if (pinIds.length === 0) return result;
    const pipeline = this.#redis.pipeline();
    for (const id of pinIds) pipeline.scard(this.#k('p', id, 'loves'));
    const replies = (await pipeline.exec()) ?? [];
    pinIds.forEach((id, i) => result.set(id, Number(replies[i]?.[1] ?? 0)));
    return result;
  }

  async lovedBy(userId: number, pinIds: readonly number[]): Promise<Set<number>> {
    if (pinIds.length === 0) return new Set();
    const pipeline = this.#redis.pipeline();
    for (const id of pinIds) pipeline.sismember(this.#k('p', id, 'loves'), String(userId));
    const replies = (await pipeline.exec()) ?? [];
    return new Set(pinIds.filter((_, i) => replies[i]?.[1] === 1));
  }

  async touch(userId: number, time: number): Promise<void> {
    await this.#redis.zadd(this.#k('active'), time, String(userId));
  }

  async lastActive(userIds: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    if (userIds.length === 0) return result;
    const scores = await this.#redis.zmscore(this.#k('active'), ...userIds.map(String));
    userIds.forEach((id, i) => {
      const score = scores[i];
      if (score !== null && score !== undefined) result.set(id, Number(score));
    });
    return result;
  }

  async totals(): Promise<Totals> {
    const counts = await this.#redis.hgetall(this.#k('counts'));
    const n = (name: string) => Number(counts[name] ?? 0);
    return {
      users: n('users'),
      boards: n('boards'),
      pins: n('pins'),
      follows: n('follows'),
      loves: n('loves'),
    };
  }

  async addStats(
    deltas: Record<string, number>,
    values: Record<string, number> = {},
  ): Promise<void> {
    const entries = Object.entries(deltas);
    if (entries.length === 0 && Object.keys(values).length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const [name, delta] of entries) pipeline.hincrbyfloat(this.#k('stats'), name, delta);
    if (Object.keys(values).length > 0) pipeline.hset(this.#k('stats'), values);
    await pipeline.exec();
  }

  async readStats(): Promise<StatsCounters> {
    const hash = await this.#redis.hgetall(this.#k('stats'));
    return Object.fromEntries(Object.entries(hash).map(([name, value]) => [name, Number(value)]));
  }

  async setLastFanout(info: LastFanout): Promise<void> {
    await this.#redis.set(this.#k('last-fanout'), JSON.stringify(info));
  }

  async getLastFanout(): Promise<LastFanout | undefined> {
    const value = await this.#redis.get(this.#k('last-fanout'));
    if (!value) return undefined;
    try {
      return JSON.parse(value) as LastFanout;
    } catch {
      return undefined;
    }
  }

  async clear(): Promise<void> {
    await deleteKeysWithPrefix(this.#redis, this.prefix);
  }

  async close(): Promise<void> {}
}
