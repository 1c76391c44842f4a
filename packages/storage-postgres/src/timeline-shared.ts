import type { PostgresContext } from './context.js';
import type { Transaction } from './runner.js';

/** Rows (feeds x items) one fanout statement writes at most. */
export const ROWS_PER_STATEMENT = 5000;

/** Distinct keys in a fixed order, so that concurrent fanouts lock rows in the same order. */
export function sortedKeys(keys: readonly string[]): string[] {
  return [...new Set(keys)].sort();
}

/** Keys in chunks of at most ROWS_PER_STATEMENT rows (at least one key per chunk). */
export function chunkKeys(keys: readonly string[], itemsPerKey: number): string[][] {
  const size = Math.max(1, Math.floor(ROWS_PER_STATEMENT / Math.max(1, itemsPerKey)));
  const chunks: string[][] = [];
  for (let start = 0; start < keys.length; start += size)
    chunks.push(keys.slice(start, start + size));
  return chunks;
}

/**
 * Takes the feed's transaction-scoped advisory lock (`pg_advisory_xact_lock` of a 64-bit hash of
 * schema and key), waiting at most the context's `lockTimeout` (then PostgreSQL fails the
 * statement with 55P03, mapped to PostgresLockError). In `serializable` mode nothing is locked:
 * PostgreSQL detects the conflicting transaction and one of them is retried.
 */
export async function lockFeed(
  context: PostgresContext,
  tx: Transaction,
  scope: string,
  key: string,
): Promise<void> {
  if (context.modifyMode === 'serializable') return;
  await tx.query(
    `SELECT set_config('lock_timeout', $1, true), pg_advisory_xact_lock(hashtextextended($2, 0))`,
    [String(context.lockTimeout), `${context.tables.schema}:${scope}:${key}`],
  );
}
