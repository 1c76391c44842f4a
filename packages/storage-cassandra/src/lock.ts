import { randomUUID } from 'node:crypto';
import { CassandraLockError } from './errors.js';
import { KeyedMutex } from '@sf/feeds';
import type { CassandraSession } from './session.js';

/**
 * How `modify` (aggregated and notification feeds) and marker updates are made atomic:
 * - `lwt` (default): a per-process mutex, plus a lock row taken with a lightweight transaction
 *   (`INSERT ... IF NOT EXISTS USING TTL`) so writers in other processes wait too; marker
 *   updates are compare-and-set on a version column;
 * - `process`: the per-process mutex only (no Paxos round trips): correct only when one process
 *   writes to these feeds.
 */
export type LockMode = 'lwt' | 'process';

export interface CassandraLockOptions {
  mode?: LockMode;
  /** Seconds after which a lock row left by a crashed writer expires (default 30). */
  ttlSeconds?: number;
  /** How long to wait for a lock before failing with CassandraLockError, in ms (default 10000). */
  acquireTimeout?: number;
}

export interface ResolvedLockOptions {
  mode: LockMode;
  ttlSeconds: number;
  acquireTimeout: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Feed locks: a keyed mutex in this process, and (mode `lwt`) a lock row in Cassandra. */
export class FeedLocks {
  readonly options: ResolvedLockOptions;
  readonly #session: CassandraSession;
  readonly #mutex = new KeyedMutex();
  readonly #table: () => Promise<string>;
  readonly #consistency: number;

  /**
   * @param table resolves the qualified lock table once it exists
   * @param consistency the commit consistency of the lock's lightweight transactions
   */
  constructor(
    session: CassandraSession,
    options: ResolvedLockOptions,
    table: () => Promise<string>,
    consistency: number,
  ) {
    this.#session = session;
    this.options = options;
    this.#table = table;
    this.#consistency = consistency;
  }

  /** Runs `task` holding the lock of `key`; releases it afterwards, even when the task fails. */
  async withLock<R>(key: string, task: () => Promise<R>): Promise<R> {
    return this.#mutex.run(key, async () => {
      if (this.options.mode === 'process') return task();
      const table = await this.#table();
      const owner = await this.#acquire(table, key);
      try {
        return await task();
      } finally {
        await this.#release(table, key, owner);
      }
    });
  }

  /** Runs `task` after the other tasks of `key` in this process (no lock row). */
  async withProcessMutex<R>(key: string, task: () => Promise<R>): Promise<R> {
    return this.#mutex.run(key, task);
  }

  async #acquire(table: string, key: string): Promise<string> {
    const owner = randomUUID();
    const deadline = Date.now() + this.options.acquireTimeout;
    let delay = 5;
    for (;;) {
      const result = await this.#session.execute(
        `INSERT INTO ${table} (lock_key, owner) VALUES (?, ?) IF NOT EXISTS USING TTL ?`,
        [key, owner, this.options.ttlSeconds],
        {
          operation: 'lock.acquire',
          table,
          key,
          lightweight: true,
          consistency: this.#consistency,
        },
      );
      const row = result.rows[0];
      // A retried insert of ours that did apply reports our own owner as the current one.
      if (row?.['[applied]'] === true || row?.owner === owner) return owner;
      if (Date.now() + delay > deadline) {
        throw new CassandraLockError(
          key,
          `could not lock feed ${JSON.stringify(key)} within ${this.options.acquireTimeout} ms (held by ${String(row?.owner)}); another writer holds it, or a crashed one left it (it expires after ${this.options.ttlSeconds} s)`,
        );
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 100);
    }
  }

  async #release(table: string, key: string, owner: string): Promise<void> {
    const result = await this.#session.execute(
      `DELETE FROM ${table} WHERE lock_key = ? IF owner = ?`,
      [key, owner],
      {
        operation: 'lock.release',
        table,
        key,
        lightweight: true,
        consistency: this.#consistency,
      },
    );
    if (result.rows[0]?.['[applied]'] !== true) {
      process.emitWarning(
        `the lock of feed ${JSON.stringify(key)} expired before it was released (ttl ${this.options.ttlSeconds} s); a concurrent writer may have interleaved`,
        { code: 'SF_CASSANDRA_LOCK_EXPIRED' },
      );
    }
  }
}
