import cassandra from 'cassandra-driver';
import type { Client, QueryOptions, types } from 'cassandra-driver';
import { SfError } from '@sf/activity';
import {
  CassandraQueryError,
  CassandraSchemaError,
  CassandraTimeoutError,
  CassandraUnavailableError,
  messageOf,
} from './errors.js';
import type { CassandraOperationContext } from './errors.js';

const { errors, types: driverTypes } = cassandra;
const codes = driverTypes.responseErrorCodes as unknown as Record<string, number>;

/** A consistency level by name (`'ONE'`, `'LOCAL_QUORUM'`, ...) or the driver's number. */
export type ConsistencyLevel =
  | 'ANY'
  | 'ONE'
  | 'TWO'
  | 'THREE'
  | 'QUORUM'
  | 'ALL'
  | 'LOCAL_QUORUM'
  | 'EACH_QUORUM'
  | 'SERIAL'
  | 'LOCAL_SERIAL'
  | 'LOCAL_ONE'
  | number;

const consistencyNames: Record<string, number> = {
  ANY: driverTypes.consistencies.any,
  ONE: driverTypes.consistencies.one,
  TWO: driverTypes.consistencies.two,
  THREE: driverTypes.consistencies.three,
  QUORUM: driverTypes.consistencies.quorum,
  ALL: driverTypes.consistencies.all,
  LOCAL_QUORUM: driverTypes.consistencies.localQuorum,
  EACH_QUORUM: driverTypes.consistencies.eachQuorum,
  SERIAL: driverTypes.consistencies.serial,
  LOCAL_SERIAL: driverTypes.consistencies.localSerial,
  LOCAL_ONE: driverTypes.consistencies.localOne,
};

/** The driver's number of a consistency level, or undefined when the name is unknown. */
export function consistencyOf(level: ConsistencyLevel): number | undefined {
  if (typeof level === 'number')
    return Object.values(consistencyNames).includes(level) ? level : undefined;
  return consistencyNames[String(level).toUpperCase()];
}

/** Maps any error of the driver to this package's errors (SfErrors pass through). */
export function toStorageError(error: unknown, context: CassandraOperationContext): Error {
  if (SfError.isInstance(error)) return error;
  if (error instanceof errors.NoHostAvailableError) {
    const causes = Object.values((error.innerErrors ?? {}) as Record<string, unknown>);
    // The driver reports a request that timed out on every host it tried as "no host available".
    if (
      causes.length > 0 &&
      causes.every((cause) => cause instanceof errors.OperationTimedOutError)
    ) {
      return new CassandraTimeoutError(context, (causes[0] as Error).message, { cause: error });
    }
    const inner = Object.entries((error.innerErrors ?? {}) as Record<string, unknown>)
      .map(([host, cause]) => `${host}: ${messageOf(cause)}`)
      .join('; ');
    return new CassandraUnavailableError(
      context,
      inner ? `no host could be reached (${inner})` : error.message,
      { cause: error },
    );
  }
  if (error instanceof errors.OperationTimedOutError) {
    return new CassandraTimeoutError(context, error.message, { cause: error });
  }
  if (error instanceof errors.BusyConnectionError) {
    return new CassandraUnavailableError(context, error.message, { cause: error });
  }
  if (error instanceof errors.ResponseError) {
    switch (error.code) {
      case codes.readTimeout:
      case codes.writeTimeout:
        return new CassandraTimeoutError(context, error.message, { cause: error });
      case codes.unavailableException:
      case codes.isBootstrapping:
      case codes.overloaded:
        return new CassandraUnavailableError(context, error.message, { cause: error });
      case codes.invalid:
      case codes.configError:
        if (/does not exist|unconfigured table|Undefined column/i.test(error.message)) {
          return new CassandraSchemaError(
            `Cassandra ${context.operation}${context.table ? ` on ${context.table}` : ''}: ${error.message} (call storage.syncSchema(), or pass autoSchema: true)`,
            { cause: error },
          );
        }
        break;
      default:
        break;
    }
    return new CassandraQueryError(context, error.message, {
      cause: error,
      responseCode: error.code,
    });
  }
  return new CassandraQueryError(context, messageOf(error), { cause: error });
}

export interface SessionOptions {
  /** The keyspace tables live in (queries name it; the client's own keyspace is not used). */
  keyspace: string;
  /** Whole time allowed to connect (ms). */
  connectTimeout: number;
  /** Per-request timeout (ms), the driver's `readTimeout`. */
  requestTimeout: number;
  /** Shut the client down on `close()` (true when this package created it). */
  ownsClient: boolean;
  consistency: number;
  serialConsistency: number;
  fetchSize: number;
}

export interface RunOptions extends CassandraOperationContext {
  consistency?: number | undefined;
  /** Not idempotent (lightweight transactions): the driver must not retry it on its own. */
  lightweight?: boolean;
  fetchSize?: number | undefined;
}

export interface Statement {
  query: string;
  params: unknown[];
}

/** The driver client with connect-once, timeouts, consistency and typed errors. */
export class CassandraSession {
  /** The driver client (replaced by a fresh one after a failed connect, when this package owns it). */
  client: Client;
  readonly keyspace: string;
  readonly options: SessionOptions;
  readonly #createClient: (() => Client) | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;

  /** @param createClient makes the client again after a failed connect (for clients this package owns) */
  constructor(client: Client, options: SessionOptions, createClient?: () => Client) {
    this.client = client;
    this.keyspace = options.keyspace;
    this.options = options;
    this.#createClient = createClient;
  }

  /**
   * Connects once (later calls share the attempt). A failed attempt is forgotten, so the next
   * call tries again.
   * @throws CassandraUnavailableError when no host answers within `connectTimeout`
   */
  async connect(): Promise<void> {
    if (this.#closed)
      throw new CassandraUnavailableError({ operation: 'connect' }, 'the storage was closed');
    this.#connecting ??= this.#connectOnce().catch((error: unknown) => {
      this.#connecting = undefined;
      throw error;
    });
    return this.#connecting;
  }

  async #connectOnce(): Promise<void> {
    const context = { operation: 'connect' };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CassandraUnavailableError(
              context,
              `no host answered within connectTimeout ${this.options.connectTimeout} ms`,
            ),
          ),
        this.options.connectTimeout,
      );
    });
    const client = this.client;
    const attempt = client.connect();
    try {
      await Promise.race([attempt, timeout]);
    } catch (error) {
      attempt.catch(() => undefined);
      if (this.#createClient) {
        // A timed-out attempt keeps running in the driver: stop it, so nothing is left retrying,
        // and connect with a fresh client next time (a client that was shut down cannot connect).
        this.client = this.#createClient();
        await client.shutdown().catch(() => undefined);
      }
      throw toStorageError(error, context);
    } finally {
      clearTimeout(timer);
    }
  }

  #queryOptions(options: RunOptions): QueryOptions {
    return {
      prepare: true,
      consistency: options.consistency ?? this.options.consistency,
      serialConsistency: this.options.serialConsistency,
      readTimeout: this.options.requestTimeout,
      isIdempotent: !options.lightweight,
      fetchSize: options.fetchSize ?? this.options.fetchSize,
    };
  }

  /** Runs one statement (prepared); the first page when it is paged. */
  async execute(query: string, params: unknown[], options: RunOptions): Promise<types.ResultSet> {
    await this.connect();
    try {
      return await this.client.execute(query, params, this.#queryOptions(options));
    } catch (error) {
      throw toStorageError(error, options);
    }
  }

  /** Runs DDL (not prepared; waits for schema agreement as the driver does). */
  async ddl(query: string, options: RunOptions): Promise<void> {
    await this.connect();
    try {
      await this.client.execute(query, [], {
        prepare: false,
        readTimeout: Math.max(this.options.requestTimeout, 60_000),
      });
    } catch (error) {
      throw toStorageError(error, options);
    }
  }

  /** Every row of a query, fetching page after page. */
  async *rows(query: string, params: unknown[], options: RunOptions): AsyncGenerator<types.Row> {
    await this.connect();
    let result: types.ResultSet;
    const queryOptions = this.#queryOptions(options);
    try {
      result = await this.client.execute(query, params, queryOptions);
    } catch (error) {
      throw toStorageError(error, options);
    }
    for (;;) {
      yield* result.rows;
      if (!result.pageState) return;
      try {
        result = await this.client.execute(query, params, {
          ...queryOptions,
          pageState: result.pageState,
        });
      } catch (error) {
        throw toStorageError(error, options);
      }
    }
  }

  /**
   * Statements of one partition as one unlogged batch (one mutation, applied atomically on
   * each replica), or a single statement when there is only one.
   */
  async writePartition(statements: readonly Statement[], options: RunOptions): Promise<void> {
    if (statements.length === 0) return;
    if (statements.length === 1) {
      await this.execute(statements[0]!.query, statements[0]!.params, options);
      return;
    }
    await this.connect();
    try {
      await this.client.batch(
        statements.map((s) => ({ query: s.query, params: s.params })),
        { ...this.#queryOptions(options), logged: false },
      );
    } catch (error) {
      throw toStorageError(error, options);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.options.ownsClient) await this.client.shutdown();
  }
}

/** At most `limit` tasks at once, shared by every caller; the others wait in order. */
export class Semaphore {
  readonly limit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  async run<R>(task: () => Promise<R>): Promise<R> {
    if (this.#running >= this.limit)
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
