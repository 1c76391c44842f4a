import type { PostgresRunner, Statement } from './runner.js';
import { ROWS_PER_STATEMENT } from './timeline-shared.js';

/** The part of a flat fanout shared by the calls that may be merged into one statement. */
export interface FanoutWrite {
  statement: Statement;
  ids: readonly string[];
  values: readonly (Buffer | null)[];
  maxLength: number | null;
  /** Equal for writes of the same items and maxLength (see `signature`). */
  signature: string;
}

/** What makes two fanout writes mergeable: the same ids, values and maxLength. */
export function signature(
  ids: readonly string[],
  values: readonly (Buffer | null)[],
  maxLength: number | null,
): string {
  const parts = [String(maxLength), ...ids];
  for (const value of values) parts.push(value === null ? '-' : value.toString('base64'));
  return parts.join('\n');
}

interface Pending {
  keys: readonly string[];
  resolve: (added: number) => void;
  reject: (error: unknown) => void;
}

interface Group {
  write: FanoutWrite;
  pending: Pending[];
}

/**
 * Caps the flat fanout statements in flight at `limit`; calls that arrive meanwhile wait, and
 * those writing the same items (same maxLength) to distinct feeds are merged into one statement
 * of at most ROWS_PER_STATEMENT rows when a statement slot frees up: fewer, larger statements,
 * each paying one round trip and one commit (the fanout workers of the Manager write one
 * activity to chunks of 100 feeds). Every call settles when its statement commits.
 */
export class FanoutBatcher {
  readonly #runner: PostgresRunner;
  readonly #limit: number;
  #inFlight = 0;
  /** Waiting writes by signature, in arrival order of their first call. */
  readonly #groups = new Map<string, Group>();

  constructor(runner: PostgresRunner, limit: number) {
    this.#runner = runner;
    this.#limit = limit;
  }

  /** Writes `write`'s items to `keys` (sorted, distinct); resolves with the rows added. */
  add(write: FanoutWrite, keys: readonly string[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let group = this.#groups.get(write.signature);
      if (group === undefined) {
        group = { write, pending: [] };
        this.#groups.set(write.signature, group);
      }
      group.pending.push({ keys, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#limit && this.#groups.size > 0) {
      const [signature, group] = this.#groups.entries().next().value as [string, Group];
      const taken: Pending[] = [];
      const feeds = new Set<string>();
      const perFeed = Math.max(1, group.write.ids.length);
      let index = 0;
      for (; index < group.pending.length; index++) {
        const pending = group.pending[index]!;
        if (taken.length > 0 && (feeds.size + pending.keys.length) * perFeed > ROWS_PER_STATEMENT)
          break;
        // A feed in two calls: the later call waits for the next statement (its own count).
        if (pending.keys.some((key) => feeds.has(key))) break;
        for (const key of pending.keys) feeds.add(key);
        taken.push(pending);
      }
      group.pending.splice(0, index);
      if (group.pending.length === 0) this.#groups.delete(signature);
      this.#inFlight += 1;
      void this.#send(group.write, [...feeds].sort(), taken).finally(() => {
        this.#inFlight -= 1;
        this.#pump();
      });
    }
  }

  async #send(write: FanoutWrite, keys: string[], taken: readonly Pending[]): Promise<void> {
    try {
      const rows = await this.#runner.query<{ feed_key: string; n: number }>(
        {
          operation: keys.length === 1 ? 'timeline.add' : 'timeline.addToMany',
          key: keys.length === 1 ? keys[0] : undefined,
        },
        write.statement,
        write.maxLength === null
          ? [keys, write.ids, write.values]
          : [keys, write.ids, write.values, write.maxLength],
      );
      const added = new Map(rows.map((row) => [row.feed_key, row.n]));
      for (const pending of taken)
        pending.resolve(pending.keys.reduce((sum, key) => sum + (added.get(key) ?? 0), 0));
    } catch (error) {
      for (const pending of taken) pending.reject(error);
    }
  }
}
