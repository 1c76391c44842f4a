import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import {
  PostgresConflictError,
  toStorageError,
  isRetryable,
  isUnavailable,
  type PostgresOperationContext,
} from './errors.js';

/** A raw driver error from a statement of a transaction (told apart from the callback's own). */
class DriverFailure extends Error {
  constructor(readonly error: unknown) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/**
 * A checked-out pool client, watched until released. A checked-out client whose connection dies
 * emits 'error'; unheard, that event would crash the process (pg-pool listens only while the
 * client is idle). The statement that was running, or the next one, fails; `release` then
 * destroys the client instead of returning it to the pool.
 */
class HeldClient {
  readonly client: pg.PoolClient;
  /** Why the client must not be reused (its connection's error), once known. */
  broken: unknown;
  readonly #onError = (error: unknown) => (this.broken ??= error);

  constructor(client: pg.PoolClient) {
    this.client = client;
    client.on('error', this.#onError);
  }

  release(): void {
    this.client.removeListener('error', this.#onError);
    const broken = this.broken;
    this.client.release(broken === undefined ? undefined : broken instanceof Error ? broken : true);
  }
}

/** The statements of one transaction, on its client. */
export interface Transaction {
  query<R extends object>(text: string, values?: readonly unknown[]): Promise<R[]>;
}

export interface TransactionOptions {
  /** `serializable` runs the transaction at that isolation level (retried on 40001). */
  isolation?: 'read committed' | 'serializable' | undefined;
  /** The key reported by PostgresConflictError when every attempt failed. */
  key?: string | undefined;
}

/**
 * How every statement of the package reaches PostgreSQL: through the pool, or, inside a
 * `transaction` (a `modify`), on that transaction's client, so that reads the caller's callback
 * makes (hydration) never wait for a second pool client while the transaction holds one.
 * Maps driver errors to the package's typed errors.
 */
export class PostgresRunner {
  readonly pool: pg.Pool;
  /** How many times a transaction is tried when it fails with 40001 or 40P01. */
  readonly attempts: number;
  readonly #current = new AsyncLocalStorage<{ client: pg.PoolClient; open: boolean }>();

  constructor(pool: pg.Pool, attempts: number) {
    this.pool = pool;
    this.attempts = attempts;
  }

  /** True inside a `transaction` (statements run on its client; a failed one aborts it). */
  get inTransaction(): boolean {
    return this.#current.getStore()?.open === true;
  }

  /** True when the pool has no idle client and may not open another. */
  #poolFull(): boolean {
    const max = (this.pool.options as { max?: number }).max ?? 10;
    return this.pool.idleCount === 0 && this.pool.totalCount >= max;
  }

  /**
   * One statement: on the current transaction's client when there is one, else the pool. A
   * statement of its own (atomic) that fails with a deadlock or serialization failure is sent
   * again, up to `attempts` times (concurrent fanouts deleting the same feeds' rows in another
   * order can deadlock), then PostgresConflictError.
   */
  async query<R extends object>(
    context: PostgresOperationContext,
    text: string,
    values: readonly unknown[] = [],
  ): Promise<R[]> {
    const current = this.#current.getStore();
    if (current?.open === true) {
      try {
        return (await current.client.query<R>(text, values as unknown[])).rows;
      } catch (error) {
        // Mapped (and retried when it can be) by the transaction it belongs to.
        throw new DriverFailure(error);
      }
    }
    for (let attempt = 1; ; attempt++) {
      const full = this.#poolFull();
      try {
        return (await this.pool.query<R>(text, values as unknown[])).rows;
      } catch (error) {
        if (isRetryable(error)) {
          if (attempt < this.attempts) continue;
          throw new PostgresConflictError(context.key ?? '', attempt, { cause: error });
        }
        throw toStorageError(error, context, full);
      }
    }
  }

  /** A pool client (mapped errors when none can be had). */
  async connect(context: PostgresOperationContext): Promise<pg.PoolClient> {
    const full = this.#poolFull();
    try {
      return await this.pool.connect();
    } catch (error) {
      throw toStorageError(error, context, full);
    }
  }

  /**
   * Runs `work` on one pool client held for it (statements outside a transaction of the runner:
   * migrations, DDL, schema reads), then releases it; destroyed, not reused, when its connection
   * was lost meanwhile (see HeldClient) or `work` failed: a failed `work` may leave the client
   * inside a transaction whose ROLLBACK failed too, and these calls are rare enough that a new
   * connection costs nothing next to reusing one in an unknown state. Errors of `work` pass
   * through.
   */
  async withClient<R>(
    context: PostgresOperationContext,
    work: (client: pg.PoolClient) => Promise<R>,
  ): Promise<R> {
    const held = new HeldClient(await this.connect(context));
    try {
      return await work(held.client);
    } catch (error) {
      held.broken ??= error;
      throw error;
    } finally {
      held.release();
    }
  }

  /**
   * Runs `work` in a transaction on one client; retries the whole of it (`work` included) when
   * PostgreSQL reports a serialization failure or a deadlock, up to `attempts` times, then
   * throws PostgresConflictError. Errors of `work` itself (not of a statement) pass through.
   */
  async transaction<R>(
    context: PostgresOperationContext,
    work: (tx: Transaction) => Promise<R>,
    options: TransactionOptions = {},
  ): Promise<R> {
    const outer = this.#current.getStore();
    if (outer?.open === true) {
      // Nested in a transaction (a write a `modify` makes): part of it, on its client.
      return work({
        query: async <Q extends object>(text: string, values: readonly unknown[] = []) => {
          try {
            return (await outer.client.query<Q>(text, values as unknown[])).rows;
          } catch (error) {
            throw new DriverFailure(error);
          }
        },
      });
    }
    for (let attempt = 1; ; attempt++) {
      const held = new HeldClient(await this.connect(context));
      const client = held.client;
      const state = { client, open: true };
      const tx: Transaction = {
        query: async <Q extends object>(text: string, values: readonly unknown[] = []) => {
          try {
            return (await client.query<Q>(text, values as unknown[])).rows;
          } catch (error) {
            throw new DriverFailure(error);
          }
        },
      };
      try {
        await tx.query(
          options.isolation === 'serializable' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN',
        );
        const result = await this.#current.run(state, () => work(tx));
        await tx.query('COMMIT');
        return result;
      } catch (caught) {
        const error = caught instanceof DriverFailure ? caught.error : caught;
        if (isUnavailable(error)) held.broken ??= error;
        else await client.query('ROLLBACK').catch((e: unknown) => (held.broken ??= e));
        if (isRetryable(error)) {
          if (attempt < this.attempts) continue;
          throw new PostgresConflictError(options.key ?? context.key ?? '', attempt, {
            cause: error,
          });
        }
        throw caught instanceof DriverFailure ? toStorageError(error, context) : caught;
      } finally {
        state.open = false;
        held.release();
      }
    }
  }
}
