/**
 * The app's own data: users, boards, pins, follows and loves. The feeds live in the library's
 * storage; this is what a real product keeps in its database. `MemoryStore` is the embedded
 * default; `RedisStore` (redis-store.ts) and `PostgresStore` (postgres-store.ts) let the web,
 * seed and worker processes agree.
 */

export const PATTERNS = ['stripes', 'dots', 'waves', 'blocks', 'rings', 'peaks'] as const;
export type Pattern = (typeof PATTERNS)[number];

export interface User {
  id: number;
  name: string;
  handle: string;
  /** Avatar colour (0-359). */
  hue: number;
  createdAt: number;
}

export interface Board {
  id: number;
  userId: number;
  name: string;
  createdAt: number;
}

export interface Pin {
  id: number;
  userId: number;
  boardId: number;
  title: string;
  hue: number;
  pattern: Pattern;
  /** Epoch ms: the time of the pin's activity (its serialization id derives from it). */
  createdAt: number;
}

export interface Totals {
  users: number;
  boards: number;
  pins: number;
  follows: number;
  loves: number;
}

/** Counters the library's Metrics report (see stats.ts), summed over every process. */
export type StatsCounters = Record<string, number>;

/** The end-to-end time of the most recent fanout (enqueue to last task done). */
export interface LastFanout {
  /** What was fanned out: a pin (pinId) or a batch import (the seed). */
  what: string;
  pinId?: number;
  userId: number;
  followers: number;
  tasks: number;
  durationMs: number;
  finishedAt: number;
  failed?: string;
}

export interface DomainStore {
  readonly kind: 'memory' | 'redis' | 'postgres';
  createUser(input: Omit<User, 'id'>): Promise<User>;
  getUser(id: number): Promise<User | undefined>;
  getUsers(ids: readonly number[]): Promise<Map<number, User>>;
  /** Every user, by id. */
  listUsers(): Promise<User[]>;
  findUserByHandle(handle: string): Promise<User | undefined>;

  createBoard(input: Omit<Board, 'id'>): Promise<Board>;
  getBoard(id: number): Promise<Board | undefined>;
  getBoards(ids: readonly number[]): Promise<Map<number, Board>>;
  /** A user's boards, oldest first. */
  listBoards(userId: number): Promise<Board[]>;

  createPin(input: Omit<Pin, 'id'>): Promise<Pin>;
  getPin(id: number): Promise<Pin | undefined>;
  getPins(ids: readonly number[]): Promise<Map<number, Pin>>;
  deletePin(id: number): Promise<boolean>;
  /** Changes a pin's title; the pin as it is now, or undefined when there is no such pin. */
  renamePin(id: number, title: string): Promise<Pin | undefined>;
  /** A board's pins, newest first, optionally older than a pin (by time, then id). */
  listBoardPins(boardId: number, options: { limit: number; before?: Pin }): Promise<Pin[]>;
  countBoardPins(boardIds: readonly number[]): Promise<Map<number, number>>;

  /** True when the follow is new. */
  follow(userId: number, targetId: number): Promise<boolean>;
  /** True when there was a follow to remove. */
  unfollow(userId: number, targetId: number): Promise<boolean>;
  /** Which of the targets the user follows. */
  followsOf(userId: number, targetIds: readonly number[]): Promise<Set<number>>;
  followerIds(userId: number): Promise<number[]>;
  followingIds(userId: number): Promise<number[]>;
  followerCounts(userIds: readonly number[]): Promise<Map<number, number>>;
  followingCount(userId: number): Promise<number>;

  /** True when the love is new. */
  love(userId: number, pinId: number): Promise<boolean>;
  loveCounts(pinIds: readonly number[]): Promise<Map<number, number>>;
  lovedBy(userId: number, pinIds: readonly number[]): Promise<Set<number>>;

  /** Records that a user was active (fanout priority: recently active followers go first). */
  touch(userId: number, time: number): Promise<void>;
  lastActive(userIds: readonly number[]): Promise<Map<number, number>>;

  totals(): Promise<Totals>;
  addStats(deltas: Record<string, number>, values?: Record<string, number>): Promise<void>;
  readStats(): Promise<StatsCounters>;
  setLastFanout(info: LastFanout): Promise<void>;
  getLastFanout(): Promise<LastFanout | undefined>;
  /** Deletes everything this store holds. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

function byTimeDesc(a: Pin, b: Pin): number {
  return b.createdAt - a.createdAt || b.id - a.id;
}

/** Whether `pin` comes after `cursor` in newest-first order. */
export function olderThan(pin: Pin, cursor: Pin): boolean {
  return (
    pin.createdAt < cursor.createdAt || (pin.createdAt === cursor.createdAt && pin.id < cursor.id)
  );
}

/** The embedded default: everything in this process's memory. */
export class MemoryStore implements DomainStore {
  readonly kind = 'memory' as const;
  #users = new Map<number, User>();
  #handles = new Map<string, number>();
  #boards = new Map<number, Board>();
  #boardsByUser = new Map<number, number[]>();
  #pins = new Map<number, Pin>();
  #pinsByBoard = new Map<number, Set<number>>();
  #following = new Map<number, Set<number>>();
  #followers = new Map<number, Set<number>>();
  #loves = new Map<number, Set<number>>();
  #active = new Map<number, number>();
  #stats = new Map<string, number>();
  #lastFanout: LastFanout | undefined;
  #seq = { user: 0, board: 0, pin: 0 };
  #counts = { follows: 0, loves: 0 };

  async createUser(input: Omit<User, 'id'>): Promise<User> {
    const user = { ...input, id: ++this.#seq.user };
    this.#users.set(user.id, user);
    this.#handles.set(user.handle.toLowerCase(), user.id);
    return { ...user };
  }

  async getUser(id: number): Promise<User | undefined> {
    const user = this.#users.get(id);
    return user && { ...user };
  }

  async getUsers(ids: readonly number[]): Promise<Map<number, User>> {
    const result = new Map<number, User>();
    for (const id of ids) {
      const user = this.#users.get(id);
      if (user) result.set(id, { ...user });
    }
    return result;
  }

  async listUsers(): Promise<User[]> {
    return [...this.#users.values()].sort((a, b) => a.id - b.id).map((user) => ({ ...user }));
  }

  async findUserByHandle(handle: string): Promise<User | undefined> {
    const id = this.#handles.get(handle.toLowerCase());
    return id === undefined ? undefined : this.getUser(id);
  }

  async createBoard(input: Omit<Board, 'id'>): Promise<Board> {
    const board = { ...input, id: ++this.#seq.board };
    this.#boards.set(board.id, board);
    const list = this.#boardsByUser.get(board.userId) ?? [];
    list.push(board.id);
    this.#boardsByUser.set(board.userId, list);
    return { ...board };
  }

  async getBoard(id: number): Promise<Board | undefined> {
    const board = this.#boards.get(id);
    return board && { ...board };
  }

  async getBoards(ids: readonly number[]): Promise<Map<number, Board>> {
    const result = new Map<number, Board>();
    for (const id of ids) {
      const board = this.#boards.get(id);
      if (board) result.set(id, { ...board });
    }
    return result;
  }

  async listBoards(userId: number): Promise<Board[]> {
    return (this.#boardsByUser.get(userId) ?? []).map((id) => ({ ...this.#boards.get(id)! }));
  }

  async createPin(input: Omit<Pin, 'id'>): Promise<Pin> {
    const pin = { ...input, id: ++this.#seq.pin };
    this.#pins.set(pin.id, pin);
    const set = this.#pinsByBoard.get(pin.boardId) ?? new Set<number>();
    set.add(pin.id);
    this.#pinsByBoard.set(pin.boardId, set);
    return { ...pin };
  }

  async getPin(id: number): Promise<Pin | undefined> {
    const pin = this.#pins.get(id);
    return pin && { ...pin };
  }

  async getPins(ids: readonly number[]): Promise<Map<number, Pin>> {
    const result = new Map<number, Pin>();
    for (const id of ids) {
      const pin = this.#pins.get(id);
      if (pin) result.set(id, { ...pin });
    }
    return result;
  }

  async renamePin(id: number, title: string): Promise<Pin | undefined> {
    const pin = this.#pins.get(id);
    if (!pin) return undefined;
    const renamed = { ...pin, title };
    this.#pins.set(id, renamed);
    return { ...renamed };
  }

  async deletePin(id: number): Promise<boolean> {
    const pin = this.#pins.get(id);
    if (!pin) return false;
    this.#pins.delete(id);
    this.#pinsByBoard.get(pin.boardId)?.delete(id);
    const loves = this.#loves.get(id);
    if (loves) this.#counts.loves -= loves.size;
    this.#loves.delete(id);
    return true;
  }

  async listBoardPins(boardId: number, options: { limit: number; before?: Pin }): Promise<Pin[]> {
    const pins = [...(this.#pinsByBoard.get(boardId) ?? [])].map((id) => this.#pins.get(id)!);
    const { before } = options;
    return pins
      .filter((pin) => !before || olderThan(pin, before))
      .sort(byTimeDesc)
      .slice(0, options.limit)
      .map((pin) => ({ ...pin }));
  }

  async countBoardPins(boardIds: readonly number[]): Promise<Map<number, number>> {
    return new Map(boardIds.map((id) => [id, this.#pinsByBoard.get(id)?.size ?? 0]));
  }

  async follow(userId: number, targetId: number): Promise<boolean> {
    const following = this.#following.get(userId) ?? new Set<number>();
    if (following.has(targetId)) return false;
    following.add(targetId);
    this.#following.set(userId, following);
    const followers = this.#followers.get(targetId) ?? new Set<number>();
    followers.add(userId);
    this.#followers.set(targetId, followers);
    this.#counts.follows++;
    return true;
  }

  async unfollow(userId: number, targetId: number): Promise<boolean> {
    const removed = this.#following.get(userId)?.delete(targetId) ?? false;
    this.#followers.get(targetId)?.delete(userId);
    if (removed) this.#counts.follows--;
    return removed;
  }

  async followsOf(userId: number, targetIds: readonly number[]): Promise<Set<number>> {
    const following = this.#following.get(userId);
    return new Set(targetIds.filter((id) => following?.has(id)));
  }

  async followerIds(userId: number): Promise<number[]> {
    return [...(this.#followers.get(userId) ?? [])].sort((a, b) => a - b);
  }

  async followingIds(userId: number): Promise<number[]> {
    return [...(this.#following.get(userId) ?? [])].sort((a, b) => a - b);
  }

  async followerCounts(userIds: readonly number[]): Promise<Map<number, number>> {
    return new Map(userIds.map((id) => [id, this.#followers.get(id)?.size ?? 0]));
  }

  async followingCount(userId: number): Promise<number> {
    return this.#following.get(userId)?.size ?? 0;
  }

  async love(userId: number, pinId: number): Promise<boolean> {
    const set = this.#loves.get(pinId) ?? new Set<number>();
    if (set.has(userId)) return false;
    set.add(userId);
    this.#loves.set(pinId, set);
    this.#counts.loves++;
    return true;
  }

  async loveCounts(pinIds: readonly number[]): Promise<Map<number, number>> {
    return new Map(pinIds.map((id) => [id, this.#loves.get(id)?.size ?? 0]));
  }

  async lovedBy(userId: number, pinIds: readonly number[]): Promise<Set<number>> {
    return new Set(pinIds.filter((id) => this.#loves.get(id)?.has(userId)));
  }

  async touch(userId: number, time: number): Promise<void> {
    this.#active.set(userId, time);
  }

  async lastActive(userIds: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    for (const id of userIds) {
      const time = this.#active.get(id);
      if (time !== undefined) result.set(id, time);
    }
    return result;
  }

  async totals(): Promise<Totals> {
    return {
      users: this.#users.size,
      boards: this.#boards.size,
      pins: this.#pins.size,
      follows: this.#counts.follows,
      loves: this.#counts.loves,
    };
  }

  async addStats(
    deltas: Record<string, number>,
    values: Record<string, number> = {},
  ): Promise<void> {
    for (const [name, delta] of Object.entries(deltas))
      this.#stats.set(name, (this.#stats.get(name) ?? 0) + delta);
    for (const [name, value] of Object.entries(values)) this.#stats.set(name, value);
  }

  async readStats(): Promise<StatsCounters> {
    return Object.fromEntries(this.#stats);
  }

  async setLastFanout(info: LastFanout): Promise<void> {
    this.#lastFanout = { ...info };
  }

  async getLastFanout(): Promise<LastFanout | undefined> {
    return this.#lastFanout && { ...this.#lastFanout };
  }

  async clear(): Promise<void> {
    this.#users.clear();
    this.#handles.clear();
    this.#boards.clear();
    this.#boardsByUser.clear();
    this.#pins.clear();
    this.#pinsByBoard.clear();
    this.#following.clear();
    this.#followers.clear();
    this.#loves.clear();
    this.#active.clear();
    this.#stats.clear();
    this.#lastFanout = undefined;
    this.#seq = { user: 0, board: 0, pin: 0 };
    this.#counts = { follows: 0, loves: 0 };
  }

  async close(): Promise<void> {}
}
