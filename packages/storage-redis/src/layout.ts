import { InvalidActivityError } from '@sf/activity';
import type { RedisRunner } from './redis-runner.js';
import { RedisConfigurationError } from './errors.js';

/**
 * How flat timelines score their entries (see the README: "Layouts").
 *
 * - `'stream-framework'` (default): the score is the serialization id itself, as Stream Framework
 *   writes it. Redis parses the 26- or 46-digit id as a double and keeps it as text in a
 *   listpack; ids that differ only in their last digits share a score, so filtered reads compare
 *   the ids exactly at the bounds. Wire-compatible with Python.
 * - `'compact'`: the score is an integer, the activity time in ms for default-scheme ids (see
 *   `compactScore`); ties are ordered by the member, the id. Exact order, less server time and
 *   memory per entry; not readable by Python Stream Framework.
 *
 * Aggregated and notification timelines score by the aggregated id (whole seconds in ms), an
 * integer already: they are the same in both layouts.
 */
export type RedisLayout = 'stream-framework' | 'compact';

/** The layouts, default first. */
export const REDIS_LAYOUTS: readonly RedisLayout[] = Object.freeze(['stream-framework', 'compact']);

/** The checked `layout` option. */
export function resolveLayout(value: unknown): RedisLayout {
  if (value === undefined) return 'stream-framework';
  if (typeof value === 'string' && (REDIS_LAYOUTS as readonly string[]).includes(value))
    return value as RedisLayout;
  throw new RedisConfigurationError(
    `layout must be 'stream-framework' or 'compact', got ${JSON.stringify(value) ?? typeof value}`,
    { path: 'redisStorage.layout', value },
  );
}

/** Digits of a serialization id the compact scores cover (any id of this library has at most 46). */
export const MAX_COMPACT_ID_LENGTH = 1000;

/** Digits of epoch milliseconds at the head of an id (activities from 2001-09-09 to 2286). */
const MS_DIGITS = 13;
/** Length of a default ('actor'-scheme) serialization id: its scores are the time in ms. */
const ACTOR_ID_LENGTH = 46;
/** Scores each id length covers: the 13 leading digits span [1e12, 1e13). */
const LENGTH_STEP = 9e12;

/**
 * The compact score of a serialization id: its 13 leading digits plus 9e12 per digit of length
 * beyond 46 (minus below it); ids shorter than 13 digits are the id minus 297e12.
 *
 * - Default-scheme ids (46 digits, from 2001 on) score the activity time in ms; Stream Framework
 *   scheme ids (26 digits) score the time in ms - 180e12.
 * - Strictly increasing across lengths and non-decreasing within one (ids compare by length,
 *   then digit by digit), so ordering by score is ordering by id.
 * - Equal scores mean equal length and equal leading digits: Redis orders them by member bytes,
 *   which for equal-length decimal strings is numeric order. The order is exact.
 * - Every score is an integer below 2^53 in magnitude (ids up to MAX_COMPACT_ID_LENGTH digits),
 *   which Redis keeps as an integer in a listpack and parses without a float conversion.
 */
export function compactScore(id: string): string {
  if (id.length > MAX_COMPACT_ID_LENGTH) {
    throw new InvalidActivityError(
      `the compact Redis layout takes serialization ids of at most ${MAX_COMPACT_ID_LENGTH} digits, got one of ${id.length}`,
      { field: 'serializationId', value: id },
    );
  }
  const head = Number(id.slice(0, MS_DIGITS));
  return String(head + (Math.max(id.length, MS_DIGITS) - ACTOR_ID_LENGTH) * LENGTH_STEP);
}

/** The score a filter bound compares against: longer ids than any stored one are above them all. */
export function compactBoundScore(id: string): string {
  return id.length > MAX_COMPACT_ID_LENGTH ? '+inf' : compactScore(id);
}

/** How one timeline makes scores from ids: for entries, and for the bounds of filtered reads. */
export interface TimelineScores {
  readonly score: (id: string) => string;
  readonly bound: (id: string) => string;
}

/** Stream Framework's: the id is the score (Redis parses it as a double). */
const idScores: TimelineScores = { score: (id) => id, bound: (id) => id };
const compactScores: TimelineScores = { score: compactScore, bound: compactBoundScore };

/**
 * A backend's layout: the scores of its timelines, and the check that the keyspace was not
 * written in the other layout.
 *
 * The keyspace carries a marker key, `<keyPrefix>sf:layout`, holding `compact` once a compact
 * storage used it. A `'stream-framework'` storage never writes it (its keyspace stays exactly
 * Python's) and refuses a keyspace marked `compact`; a `'compact'` storage marks the keyspace on
 * first use and refuses one marked otherwise. A keyspace written by Python or by a
 * `'stream-framework'` storage has no marker: a compact storage cannot tell it from an empty one
 * without reading every feed, so it does not (see the README: "Layouts").
 */
export class TimelineLayout {
  readonly name: RedisLayout;
  readonly markerKey: string;
  readonly #runner: RedisRunner;
  #checked: Promise<void> | undefined;
  #ready = false;

  constructor(name: RedisLayout, runner: RedisRunner, keyPrefix: string) {
    this.name = name;
    this.#runner = runner;
    this.markerKey = `${keyPrefix}sf:layout`;
  }

  /** True once the keyspace is known to be in this layout: no await on the hot path. */
  get ready(): boolean {
    return this.#ready;
  }

  /** The scores of a flat timeline (ids as members) or an aggregated one. */
  scores(flat: boolean): TimelineScores {
    return flat && this.name === 'compact' ? compactScores : idScores;
  }

  /**
   * Resolves once the keyspace's marker agrees with this layout (once per backend); rejects with
   * a RedisConfigurationError when it does not. A failure to reach Redis is retried next call.
   */
  check(): Promise<void> {
    this.#checked ??= this.#check().then(
      () => {
        this.#ready = true;
      },
      (error: unknown) => {
        if (!(error instanceof RedisConfigurationError)) this.#checked = undefined;
        throw error;
      },
    );
    return this.#checked;
  }

  async #check(): Promise<void> {
    const key = this.markerKey;
    const context = { operation: 'layout.check', key };
    let marker = await this.#runner.call(context, (client) => client.get(key));
    if (marker === null && this.name === 'compact') {
      const set = await this.#runner.call(context, (client) => client.set(key, 'compact', 'NX'));
      if (set === 'OK') return;
      marker = await this.#runner.call(context, (client) => client.get(key));
    }
    const expected = this.name === 'compact' ? 'compact' : null;
    if (marker === expected) return;
    throw new RedisConfigurationError(
      `the keyspace (key prefix ${JSON.stringify(this.markerKey.slice(0, -'sf:layout'.length))}) was written in the ${JSON.stringify(marker)} layout (marker key ${JSON.stringify(key)}), not in this storage's layout ${JSON.stringify(this.name)}; open it with redisStorage({ layout: ${JSON.stringify(marker === 'compact' ? 'compact' : 'stream-framework')} }) or use another keyPrefix`,
      { path: 'redisStorage.layout', value: this.name },
    );
  }
}
