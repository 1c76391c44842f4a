import { KeyedMutex, detectFormatMismatch } from '@sf/feeds';
import type { StoredValueKind } from '@sf/feeds';
import { PostgresCorruptRowError } from './errors.js';
import type { PostgresRunner } from './runner.js';
import type { Tables } from './schema.js';

/** What reading a corrupt row does: `skip` it and report it (default), or `throw`. */
export type CorruptRowPolicy = 'skip' | 'throw';

/**
 * How `modify` (aggregated and notification writes) keeps concurrent writers of one feed apart:
 * `lock` (default) takes `pg_advisory_xact_lock` on the feed key; `serializable` runs the
 * read-modify-write as a SERIALIZABLE transaction, retried on serialization failures.
 */
export type ModifyMode = 'lock' | 'serializable';

/** A row a read could not decode. */
export interface FailedRow {
  id: string;
  value: string;
  cause: unknown;
}

/** A row a read decoded: the row, the stored value it was decoded from, and the item. */
export interface DecodedRow<R, T> {
  row: R;
  value: string;
  item: T;
}

/**
 * Decodes each row's stored value (`valueOf`) with `loads`, in order. A row whose value does not
 * decode is collected in `failed` (not thrown), for the caller to report through `failedRows`.
 */
export function decodeRows<R extends { id: string }, T>(
  rows: readonly R[],
  valueOf: (row: R) => string,
  loads: (value: string) => T,
): { decoded: DecodedRow<R, T>[]; failed: FailedRow[] } {
  const decoded: DecodedRow<R, T>[] = [];
  const failed: FailedRow[] = [];
  for (const row of rows) {
    const value = valueOf(row);
    try {
      decoded.push({ row, value, item: loads(value) });
    } catch (error) {
      failed.push({ id: row.id, value, cause: error });
    }
  }
  return { decoded, failed };
}

/** The default report of a skipped corrupt row: a process warning (stderr unless handled). */
export function warnCorruptRow(error: PostgresCorruptRowError): void {
  process.emitWarning(error.message, { type: 'SfCorruptEntryWarning', code: error.code });
}

/** Stored bytes as the string a serializer reads. */
export function textOf(value: Buffer | string | null): string {
  if (value === null) return '';
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** What the storages of one backend share. */
export class PostgresContext {
  readonly runner: PostgresRunner;
  readonly tables: Tables;
  readonly corruptRows: CorruptRowPolicy;
  readonly modifyMode: ModifyMode;
  /** `lock_timeout` of `modify` and marker updates, in ms (0: wait forever). */
  readonly lockTimeout: number;
  /** Serializes `modify` calls on one feed within this process (PostgreSQL covers the rest). */
  readonly modifyQueue = new KeyedMutex();
  readonly #onCorruptRow: (error: PostgresCorruptRowError) => void;

  constructor(options: {
    runner: PostgresRunner;
    tables: Tables;
    corruptRows: CorruptRowPolicy;
    onCorruptRow: (error: PostgresCorruptRowError) => void;
    modifyMode: ModifyMode;
    lockTimeout: number;
  }) {
    this.runner = options.runner;
    this.tables = options.tables;
    this.corruptRows = options.corruptRows;
    this.#onCorruptRow = options.onCorruptRow;
    this.modifyMode = options.modifyMode;
    this.lockTimeout = options.lockTimeout;
  }

  /**
   * The rows one read could not decode. When none of the read's rows decoded and some decode in
   * the other bundled format, the storage is configured with the wrong format: throws
   * FormatMismatchError naming the one to use. Otherwise each row is corrupt.
   */
  failedRows(
    table: string,
    key: string,
    read: { kind: StoredValueKind; format: string | undefined; decoded: number; feedKey?: string },
    failed: readonly FailedRow[],
  ): void {
    if (failed.length === 0) return;
    if (read.decoded === 0 && read.format !== undefined) {
      const mismatch = detectFormatMismatch({
        key,
        feedKey: read.feedKey,
        kind: read.kind,
        format: read.format,
        entries: failed.map((row) => row.value),
      });
      if (mismatch) throw mismatch;
    }
    for (const row of failed) this.corrupt(table, key, row.id, row.cause);
  }

  /**
   * Decodes the rows one read of the timeline `feedKey` in `table` returned (see `decodeRows`)
   * and reports those that do not decode (see `failedRows`): the decoded ones, in order.
   */
  decodeTimeline<R extends { id: string }, T>(
    table: string,
    feedKey: string,
    read: { kind: StoredValueKind; format: string | undefined },
    rows: readonly R[],
    valueOf: (row: R) => string,
    loads: (value: string) => T,
  ): DecodedRow<R, T>[] {
    const { decoded, failed } = decodeRows(rows, valueOf, loads);
    this.failedRows(
      this.tables.label(table),
      feedKey,
      { ...read, decoded: decoded.length, feedKey },
      failed,
    );
    return decoded;
  }

  /** A stored row could not be decoded: throw, or report it and let the caller skip it. */
  corrupt(table: string, key: string, id: string, cause: unknown): void {
    const error = new PostgresCorruptRowError(table, key, id, cause);
    if (this.corruptRows === 'throw') throw error;
    try {
      this.#onCorruptRow(error);
    } catch {
      // A failing reporter must not fail the read it reports on.
    }
  }
}
