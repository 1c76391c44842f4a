import type { RedisRunner } from './redis-runner.js';
import { RedisConfigurationError, RedisSerializationError } from './errors.js';
import { KeyedMutex, detectFormatMismatch } from '@sf/feeds';
import type { StoredValueKind } from '@sf/feeds';
import type { RedisKeys } from './keys.js';
import type { TimelineLayout } from './layout.js';

/** How `modify` locks a feed (see the README: "Concurrency"). */
export interface RedisLockOptions {
  /** Lock expiry in ms: a crashed writer's lock frees itself after this. Default 10000. */
  ttl?: number;
  /** How long `modify` waits for a busy lock before failing with RedisLockError, in ms. Default 10000. */
  acquireTimeout?: number;
  /** First wait between attempts to take a busy lock, in ms (doubles up to maxRetryDelay). Default 2. */
  retryDelay?: number;
  /** Longest wait between attempts, in ms. Default 25. */
  maxRetryDelay?: number;
  /** Times `modify` starts over when its lock expired before it could write. Default 3. */
  attempts?: number;
}

/** What reading a corrupt entry does: `skip` it and report it (default), or `throw`. */
export type CorruptEntryPolicy = 'skip' | 'throw';

export const defaultLockOptions: Required<RedisLockOptions> = {
  ttl: 10_000,
  acquireTimeout: 10_000,
  retryDelay: 2,
  maxRetryDelay: 25,
  attempts: 3,
};

export function resolveLockOptions(
  options: RedisLockOptions | undefined,
): Required<RedisLockOptions> {
  const resolved = { ...defaultLockOptions, ...stripUndefined(options ?? {}) };
  for (const [name, value] of Object.entries(resolved)) {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < (name === 'retryDelay' ? 0 : 1) ||
      !Number.isInteger(value)
    ) {
      throw new RedisConfigurationError(
        `lock.${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  if (resolved.maxRetryDelay < resolved.retryDelay) {
    throw new RedisConfigurationError(
      `lock.maxRetryDelay (${resolved.maxRetryDelay}) must not be below lock.retryDelay (${resolved.retryDelay})`,
    );
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An entry a read could not decode: `entry` names it in reports (member or hash field), `value` is what was stored. */
export interface FailedEntry {
  entry: string;
  value: string;
  cause: unknown;
}

/** The default report of a skipped corrupt entry: a process warning (stderr unless handled). */
export function warnCorruptEntry(error: RedisSerializationError): void {
  process.emitWarning(error.message, { type: 'SfCorruptEntryWarning', code: error.code });
}

/** What the storages of one backend share. */
export class RedisStorageContext {
  readonly runner: RedisRunner;
  readonly keys: RedisKeys;
  /** How timelines score their entries, and the check of the keyspace's layout marker. */
  readonly layout: TimelineLayout;
  readonly lock: Required<RedisLockOptions>;
  readonly corruptEntries: CorruptEntryPolicy;
  readonly #onCorruptEntry: (error: RedisSerializationError) => void;
  /** Serializes `modify` calls on the same feed within this process (the Redis lock covers the rest). */
  readonly modifyQueue = new KeyedMutex();

  constructor(options: {
    runner: RedisRunner;
    keys: RedisKeys;
    layout: TimelineLayout;
    lock: Required<RedisLockOptions>;
    corruptEntries: CorruptEntryPolicy;
    onCorruptEntry: (error: RedisSerializationError) => void;
  }) {
    this.runner = options.runner;
    this.keys = options.keys;
    this.layout = options.layout;
    this.lock = options.lock;
    this.corruptEntries = options.corruptEntries;
    this.#onCorruptEntry = options.onCorruptEntry;
  }

  /**
   * The entries one read could not decode. When none of the read's entries decoded (`decoded`
   * is 0) and some decode in the other bundled format, the storage is configured with the wrong
   * format: throws FormatMismatchError naming the one to use. Otherwise each entry is corrupt.
   */
  failedEntries(
    key: string,
    read: { kind: StoredValueKind; format: string | undefined; decoded: number; feedKey?: string },
    failed: readonly FailedEntry[],
  ): void {
    if (failed.length === 0) return;
    if (read.decoded === 0 && read.format !== undefined) {
      const entries = failed.map((item) => item.value);
      const mismatch = detectFormatMismatch({
        key,
        feedKey: read.feedKey,
        kind: read.kind,
        format: read.format,
        entries,
      });
      if (mismatch) throw mismatch;
    }
    for (const item of failed) this.corrupt(key, item.entry, item.cause);
  }

  /** A stored entry could not be decoded: throw, or report it and let the caller skip it. */
  corrupt(key: string, entry: string, cause: unknown): void {
    const error =
      cause instanceof RedisSerializationError
        ? cause
        : new RedisSerializationError(key, entry, cause);
    if (this.corruptEntries === 'throw') throw error;
    try {
      this.#onCorruptEntry(error);
    } catch {
      // A failing reporter must not fail the read it reports on.
    }
  }
}
