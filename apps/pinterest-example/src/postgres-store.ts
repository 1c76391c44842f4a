import pg from 'pg';
import type { Pool, QueryResultRow } from 'pg';
import { ConfigError, POSTGRES_SCHEMA_PATTERN } from './config.js';
import { TABLES, syncSchema, unavailableOr } from './postgres-schema.js';
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
 * The domain store in PostgreSQL (tables `app_users`, `app_boards`, `app_pins`, `app_follows`,
 * `app_loves`, `app_active`, `app_stats`, `app_meta` in one schema), so that the web process, the
 * seed command and the fanout workers of the postgres mode see the same people, follows and stats.
 * Every method is one statement (`addStats` two at most; the batch reads take arrays:
 * `= ANY($1)`), never a round trip per id. `clear()` empties the tables and restarts their ids at 1.
 */

export interface PostgresStoreOptions {
  /** A pool to share (the postgres mode's feeds use the same one); not ended by `close()`. */
  pool?: Pool;
  /** Used when no `pool` is given: the store makes its own pool and ends it on `close()`. */
  connectionString?: string;
  /** The schema of the tables (created when missing): lower case, digits and `_`. */
  schema: string;
}

const num = (value: unknown): number => Number(value);

export class PostgresStore implements DomainStore {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #t: Record<(typeof TABLES)[number], string>;
  #closed: Promise<void> | undefined;

  private constructor(pool: Pool, ownsPool: boolean, schema: string) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.schema = schema;
    this.#t = Object.fromEntries(TABLES.map((name) => [name, `"${schema}".${name}`])) as Record<
      (typeof TABLES)[number],
      string
    >;
  }

  /** Opens the store and creates its schema and tables when missing (safe from several processes at once). */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    if (!POSTGRES_SCHEMA_PATTERN.test(options.schema)) {
      throw new ConfigError(
        `the PostgreSQL schema must be 1 to 57 lower-case letters, digits or _, got ${JSON.stringify(options.schema)}`,
        { path: 'SF_POSTGRES_SCHEMA', value: options.schema },
      );
    }
    const owns = options.pool === undefined;
    const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString });
    if (owns) pool.on('error', () => undefined);
    const store = new PostgresStore(pool, owns, options.schema);
    try {
      await store.sync();
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** Creates the schema and the tables that are missing (idempotent; one process at a time). */
  async sync(): Promise<void> {
    // Its errors are @sf/storage-postgres's typed ones already (unavailable: a StorageUnavailableError).
    await syncSchema(this.#pool, this.schema);
  }

  async #query<R extends QueryResultRow>(text: string, values: unknown[] = []) {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (error) {
      throw unavailableOr(error);
    }
  }

  #user = (row: QueryResultRow): User => ({
    id: num(row.id),
    name: row.name as string,
    handle: row.handle as string,
    hue: row.hue as number,
    createdAt: row.created_at as number,
  });

  #board = (row: QueryResultRow): Board => ({
    id: num(row.id),
    userId: num(row.user_id),
    name: row.name as string,
    createdAt: row.created_at as number,
  });

  // A pattern that is not one of PATTERNS is passed on as stored: checkedStore reports it.
  #pin = (row: QueryResultRow): Pin => ({
    id: num(row.id),
    userId: num(row.user_id),
    boardId: num(row.board_id),
    title: row.title as string,
    hue: row.hue as number,
    pattern: row.pattern as Pattern,
    createdAt: row.created_at as number,
  });

  async #byIds<T extends { id: number }>(
    table: string,
    ids: readonly number[],
    parse: (row: QueryResultRow) => T,
  ): Promise<Map<number, T>> {
    const result = new Map<number, T>();
    if (ids.length === 0) return result;
    const { rows } = await this.#query(`SELECT * FROM ${table} WHERE id = ANY($1::bigint[])`, [
      [...new Set(ids)],
    ]);
    for (const row of rows) {
      const record = parse(row);
      result.set(record.id, record);
    }
    return result;
  }

  async #countBy(sql: string, ids: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>(ids.map((id) => [id, 0]));
    if (ids.length === 0) return result;
    const { rows } = await this.#query<{ id: string; n: string }>(sql, [[...new Set(ids)]]);
    for (const row of rows) result.set(num(row.id), num(row.n));
    return result;
  }

  async createUser(input: Omit<User, 'id'>): Promise<User> {
    const { rows } = await this.#query(
      `INSERT INTO ${this.#t.app_users} (name, handle, hue, created_at) VALUES ($1, $2, $3, $4) RETURNING *`,
      [input.name, input.handle, input.hue, input.createdAt],
    );
    return this.#user(rows[0]!);
  }

  async getUser(id: number): Promise<User | undefined> {
    return (await this.getUsers([id])).get(id);
  }

  getUsers(ids: readonly number[]): Promise<Map<number, User>> {
    return this.#byIds(this.#t.app_users, ids, this.#user);
  }

  async listUsers(): Promise<User[]> {
    const { rows } = await this.#query(`SELECT * FROM ${this.#t.app_users} ORDER BY id`);
    return rows.map(this.#user);
  }

  async findUserByHandle(handle: string): Promise<User | undefined> {
    // The newest of equal handles, as a handle index that is overwritten would answer.
    const { rows } = await this.#query(
      `SELECT * FROM ${this.#t.app_users} WHERE lower(handle) = lower($1) ORDER BY id DESC LIMIT 1`,
      [handle],
    );
    return rows[0] && this.#user(rows[0]);
  }

  async createBoard(input: Omit<Board, 'id'>): Promise<Board> {
    const { rows } = await this.#query(
      `INSERT INTO ${this.#t.app_boards} (user_id, name, created_at) VALUES ($1, $2, $3) RETURNING *`,
      [input.userId, input.name, input.createdAt],
    );
    return this.#board(rows[0]!);
  }

  async getBoard(id: number): Promise<Board | undefined> {
    return (await this.getBoards([id])).get(id);
  }

  getBoards(ids: readonly number[]): Promise<Map<number, Board>> {
    return this.#byIds(this.#t.app_boards, ids, this.#board);
  }

  async listBoards(userId: number): Promise<Board[]> {
    const { rows } = await this.#query(
      `SELECT * FROM ${this.#t.app_boards} WHERE user_id = $1 ORDER BY id`,
      [userId],
    );
    return rows.map(this.#board);
  }

  async createPin(input: Omit<Pin, 'id'>): Promise<Pin> {
    const { rows } = await this.#query(
      `INSERT INTO ${this.#t.app_pins} (user_id, board_id, title, hue, pattern, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [input.userId, input.boardId, input.title, input.hue, input.pattern, input.createdAt],
    );
    return this.#pin(rows[0]!);
  }

  async getPin(id: number): Promise<Pin | undefined> {
    return (await this.getPins([id])).get(id);
  }

  getPins(ids: readonly number[]): Promise<Map<number, Pin>> {
    return this.#byIds(this.#t.app_pins, ids, this.#pin);
  }

  async renamePin(id: number, title: string): Promise<Pin | undefined> {
    const { rows } = await this.#query(
      `UPDATE ${this.#t.app_pins} SET title = $2 WHERE id = $1 RETURNING *`,
      [id, title],
    );
    return rows[0] ? this.#pin(rows[0]) : undefined;
  }

  async deletePin(id: number): Promise<boolean> {
    const { rows } = await this.#query(
      `WITH pin AS (DELETE FROM ${this.#t.app_pins} WHERE id = $1 RETURNING id),
            loves AS (DELETE FROM ${this.#t.app_loves} WHERE pin_id IN (SELECT id FROM pin))
       SELECT count(*) AS n FROM pin`,
      [id],
    );
    return num(rows[0]?.n) > 0;
  }

  async listBoardPins(boardId: number, options: { limit: number; before?: Pin }): Promise<Pin[]> {
    const { before, limit } = options;
    const { rows } = before
      ? await this.#query(
          `SELECT * FROM ${this.#t.app_pins} WHERE board_id = $1 AND (created_at, id) < ($2, $3)
           ORDER BY created_at DESC, id DESC LIMIT $4`,
          [boardId, before.createdAt, before.id, limit],
        )
      : await this.#query(
          `SELECT * FROM ${this.#t.app_pins} WHERE board_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
          [boardId, limit],
        );
    return rows.map(this.#pin);
  }

  countBoardPins(boardIds: readonly number[]): Promise<Map<number, number>> {
    return this.#countBy(
      `SELECT board_id AS id, count(*) AS n FROM ${this.#t.app_pins}
       WHERE board_id = ANY($1::bigint[]) GROUP BY board_id`,
      boardIds,
    );
  }

  async follow(userId: number, targetId: number): Promise<boolean> {
    const { rowCount } = await this.#query(
      `INSERT INTO ${this.#t.app_follows} (user_id, target_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [userId, targetId],
    );
    return rowCount === 1;
  }

  async unfollow(userId: number, targetId: number): Promise<boolean> {
    const { rowCount } = await this.#query(
      `DELETE FROM ${this.#t.app_follows} WHERE user_id = $1 AND target_id = $2`,
      [userId, targetId],
    );
    return rowCount === 1;
  }

  async followsOf(userId: number, targetIds: readonly number[]): Promise<Set<number>> {
    if (targetIds.length === 0) return new Set();
    const { rows } = await this.#query(
      `SELECT target_id FROM ${this.#t.app_follows} WHERE user_id = $1 AND target_id = ANY($2::bigint[])`,
      [userId, [...targetIds]],
    );
    return new Set(rows.map((row) => num(row.target_id)));
  }

  async followerIds(userId: number): Promise<number[]> {
    const { rows } = await this.#query(
      `SELECT user_id FROM ${this.#t.app_follows} WHERE target_id = $1 ORDER BY user_id`,
      [userId],
    );
    return rows.map((row) => num(row.user_id));
  }

  async followingIds(userId: number): Promise<number[]> {
    const { rows } = await this.#query(
      `SELECT target_id FROM ${this.#t.app_follows} WHERE user_id = $1 ORDER BY target_id`,
      [userId],
    );
    return rows.map((row) => num(row.target_id));
  }

  followerCounts(userIds: readonly number[]): Promise<Map<number, number>> {
    return this.#countBy(
      `SELECT target_id AS id, count(*) AS n FROM ${this.#t.app_follows}
       WHERE target_id = ANY($1::bigint[]) GROUP BY target_id`,
      userIds,
    );
  }

  async followingCount(userId: number): Promise<number> {
    const { rows } = await this.#query(
      `SELECT count(*) AS n FROM ${this.#t.app_follows} WHERE user_id = $1`,
      [userId],
    );
    return num(rows[0]?.n ?? 0);
  }

  async love(userId: number, pinId: number): Promise<boolean> {
    const { rowCount } = await this.#query(
      `INSERT INTO ${this.#t.app_loves} (pin_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [pinId, userId],
    );
    return rowCount === 1;
  }

  loveCounts(pinIds: readonly number[]): Promise<Map<number, number>> {
    return this.#countBy(
      `SELECT pin_id AS id, count(*) AS n FROM ${this.#t.app_loves}
       WHERE pin_id = ANY($1::bigint[]) GROUP BY pin_id`,
      pinIds,
    );
  }

  async lovedBy(userId: number, pinIds: readonly number[]): Promise<Set<number>> {
    if (pinIds.length === 0) return new Set();
    const { rows } = await this.#query(
      `SELECT pin_id FROM ${this.#t.app_loves} WHERE user_id = $1 AND pin_id = ANY($2::bigint[])`,
      [userId, [...pinIds]],
    );
    return new Set(rows.map((row) => num(row.pin_id)));
  }

  async touch(userId: number, time: number): Promise<void> {
    await this.#query(
      `INSERT INTO ${this.#t.app_active} (user_id, time) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET time = excluded.time`,
      [userId, time],
    );
  }

  async lastActive(userIds: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    if (userIds.length === 0) return result;
    const { rows } = await this.#query(
      `SELECT user_id, time FROM ${this.#t.app_active} WHERE user_id = ANY($1::bigint[])`,
      [[...userIds]],
    );
    for (const row of rows) result.set(num(row.user_id), row.time as number);
    return result;
  }

  async totals(): Promise<Totals> {
    const t = this.#t;
    const { rows } = await this.#query(
      `SELECT (SELECT count(*) FROM ${t.app_users}) AS users,
              (SELECT count(*) FROM ${t.app_boards}) AS boards,
              (SELECT count(*) FROM ${t.app_pins}) AS pins,
              (SELECT count(*) FROM ${t.app_follows}) AS follows,
              (SELECT count(*) FROM ${t.app_loves}) AS loves`,
    );
    const row = rows[0]!;
    return {
      users: num(row.users),
      boards: num(row.boards),
      pins: num(row.pins),
      follows: num(row.follows),
      loves: num(row.loves),
    };
  }

  async addStats(
    deltas: Record<string, number>,
    values: Record<string, number> = {},
  ): Promise<void> {
    const upsert = async (entries: Array<[string, number]>, update: string) => {
      if (entries.length === 0) return;
      await this.#query(
        `INSERT INTO ${this.#t.app_stats} (name, value)
         SELECT * FROM unnest($1::text[], $2::float8[])
         ON CONFLICT (name) DO UPDATE SET value = ${update}`,
        [entries.map(([name]) => name), entries.map(([, value]) => value)],
      );
    };
    // Set values win over increments of the same name, as in the other stores.
    await upsert(Object.entries(deltas), `${this.#t.app_stats}.value + excluded.value`);
    await upsert(Object.entries(values), 'excluded.value');
  }

  async readStats(): Promise<StatsCounters> {
    const { rows } = await this.#query(`SELECT name, value FROM ${this.#t.app_stats}`);
    return Object.fromEntries(rows.map((row) => [row.name as string, row.value as number]));
  }

  async setLastFanout(info: LastFanout): Promise<void> {
    await this.#query(
      `INSERT INTO ${this.#t.app_meta} (key, value) VALUES ('last-fanout', $1)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [JSON.stringify(info)],
    );
  }

  async getLastFanout(): Promise<LastFanout | undefined> {
    const { rows } = await this.#query(
      `SELECT value FROM ${this.#t.app_meta} WHERE key = 'last-fanout'`,
    );
    return rows[0]?.value as LastFanout | undefined;
  }

  async clear(): Promise<void> {
    await this.#query(`TRUNCATE ${Object.values(this.#t).join(', ')} RESTART IDENTITY`);
  }

  /** Ends the pool when the store made it; a shared pool is its owner's to end. */
  close(): Promise<void> {
    this.#closed ??= this.#ownsPool ? this.#pool.end() : Promise.resolve();
    return this.#closed;
  }
}
