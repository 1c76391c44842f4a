/**
 * Ranked reads of flat feeds: a user-supplied score over the newest N candidates, paged with an
 * opaque cursor that keeps pages stable while the feed changes.
 */
import { createHash } from 'node:crypto';
import { SfError, compareSerializationIds, toSerializationId } from '@sf/activity';
import type { Activity } from '@sf/activity';
import type { SfErrorOptions } from '@sf/activity';
import { InvalidFeedOptionError, InvalidQueryError } from './errors.js';
import type { UserId } from './keys.js';
import type { Metrics } from './metrics.js';
import type { FlatTimelineItem, IdFilter } from './backend/contracts.js';

/** What a score function is called with besides the activity. */
export interface RankingContext {
  /**
   * The scoring time (epoch ms): `Date.now()` at the first page (or the `now` it was given),
   * carried by the cursor so that every page of a read scores at the same instant.
   */
  readonly now: number;
  /** The reader. */
  readonly userId: UserId;
  /** The ranking's name. */
  readonly ranking: string;
}

/**
 * One ranking of a feed: how many of the newest activities are candidates, and their score
 * (higher first; equal scores newest first, by serialization id). Give `score` (one activity at a
 * time) or `scoreMany` (all the candidates of a page at once, e.g. one query to your own store).
 */
export interface RankingDefinition {
  /** How many of the newest activities are ranked (default 100, at most 10,000). */
  candidates?: number;
  score?: (activity: Activity, context: RankingContext) => number;
  /** The candidates' scores, in the order given. */
  scoreMany?: (
    activities: readonly Activity[],
    context: RankingContext,
  ) => readonly number[] | Promise<readonly number[]>;
}

/** A validated ranking. */
export interface Ranking {
  readonly name: string;
  readonly candidates: number;
  readonly scoreMany: (
    activities: readonly Activity[],
    context: RankingContext,
  ) => Promise<readonly number[]>;
}

export interface RankedPageOptions {
  /** Items per page (default 25). */
  limit?: number;
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor?: string | null | undefined;
  /** The scoring time of a first page (epoch ms, default `Date.now()`); a cursor carries its own. */
  now?: number;
}

export interface RankedPage {
  items: Activity[];
  /** Pass to `page()` for the next page; null when the ranking has no more items. */
  nextCursor: string | null;
  /** The scores of `items`, in order. */
  scores: number[];
}

/** A score function gave something that is not a finite number (or `scoreMany` the wrong count). */
export class RankingScoreError extends SfError {
  /** The ranking's name. */
  readonly ranking: string;
  /** The activity whose score was bad (undefined when `scoreMany` returned the wrong count). */
  readonly activityId: string | undefined;
  /** What the score function returned. */
  readonly value: unknown;

  constructor(
    message: string,
    options: SfErrorOptions & { ranking: string; activityId?: string; value: unknown },
  ) {
    super('SF_RANKING_SCORE', message, options);
    this.ranking = options.ranking;
    this.activityId = options.activityId;
    this.value = options.value;
  }
}

export const DEFAULT_CANDIDATES = 100;
export const MAX_CANDIDATES = 10_000;
export const DEFAULT_RANKED_LIMIT = 25;
const MAX_RANKED_LIMIT = 1000;
const CURSOR_VERSION = 1;
/** Bytes of a served item's fingerprint in a cursor (48 bits). */
const FINGERPRINT_BYTES = 6;
const RANKING_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Validates a definition's `rankings` option (at define time). */
export function defineRankings(
  feedName: string,
  rankings: Readonly<Record<string, RankingDefinition>> | undefined,
): ReadonlyMap<string, Ranking> {
  const result = new Map<string, Ranking>();
  if (rankings === undefined) return result;
  if (typeof rankings !== 'object' || rankings === null || Array.isArray(rankings)) {
    throw new InvalidFeedOptionError(
      `rankings of feed ${feedName} must be an object of named rankings, got ${String(rankings)}`,
      { path: 'options.rankings', value: rankings },
    );
  }
  for (const [name, definition] of Object.entries(rankings)) {
    const path = `options.rankings.${name}`;
    if (!RANKING_NAME.test(name)) {
      throw new InvalidFeedOptionError(
        `ranking names of feed ${feedName} are 1-64 letters, digits, '_' or '-', got ${JSON.stringify(name)}`,
        { path, value: name },
      );
    }
    if (typeof definition !== 'object' || definition === null) {
      throw new InvalidFeedOptionError(
        `ranking ${name} of feed ${feedName} needs { candidates, score } or { candidates, scoreMany }, got ${String(definition)}`,
        { path, value: definition },
      );
    }
    const candidates = definition.candidates ?? DEFAULT_CANDIDATES;
    if (!Number.isSafeInteger(candidates) || candidates < 1 || candidates > MAX_CANDIDATES) {
      throw new InvalidFeedOptionError(
        `candidates of ranking ${name} of feed ${feedName} must be an integer from 1 to ${MAX_CANDIDATES}, got ${String(definition.candidates)}`,
        { path: `${path}.candidates`, value: definition.candidates },
      );
    }
    const { score, scoreMany } = definition;
    if ((typeof score === 'function') === (typeof scoreMany === 'function')) {
      throw new InvalidFeedOptionError(
        `ranking ${name} of feed ${feedName} needs exactly one of score(activity, context) or scoreMany(activities, context)`,
        { path: `${path}.score`, value: score ?? scoreMany },
      );
    }
    result.set(name, {
      name,
      candidates,
      scoreMany: score
        ? async (activities, context) => activities.map((activity) => score(activity, context))
        : async (activities, context) => scoreMany!(activities, context),
    });
  }
  return result;
}

/** Where a ranked read gets its candidates: a feed's timeline, or the Manager's merged read. */
export interface RankedSource {
  /** The feed key the cursor is bound to. */
  key: string;
  userId: UserId;
  /** The view's own id filter (combined with the cursor's window). */
  filter: Readonly<IdFilter>;
  /** The newest `limit` entries within `filter`, newest first (one read). */
  read(filter: IdFilter, limit: number): Promise<FlatTimelineItem[]>;
  /** Hydrates entries in one batch, leaving out (and reporting) missing ones. */
  hydrate(items: readonly FlatTimelineItem[]): Promise<Activity[]>;
  /** Where reads are timed and counted (the feed definition's metrics and name). */
  metrics?: { metrics: Metrics; feedName: string } | undefined;
}

/** What a cursor holds (v1). */
interface CursorState {
  /** The ranking. */
  ranking: string;
  /** Fingerprint of the feed key. */
  feed: string;
  now: number;
  /** The window: the newest and the oldest candidate of the first page. */
  newest: string;
  oldest: string;
  /** Fingerprints of the items served so far. */
  served: Set<string>;
}

function fingerprint(value: string, bytes = FINGERPRINT_BYTES): string {
  return createHash('sha256').update(value).digest().subarray(0, bytes).toString('base64url');
}

function checksum(body: string): string {
  return createHash('sha256').update(`sf-ranked-cursor:${body}`).digest('base64url').slice(0, 12);
}

export function encodeCursor(state: CursorState): string {
  const served = Buffer.concat(
    [...state.served].map((entry) => Buffer.from(entry, 'base64url')),
  ).toString('base64url');
  const body = JSON.stringify({
    v: CURSOR_VERSION,
    r: state.ranking,
    f: state.feed,
    t: state.now,
    hi: state.newest,
    lo: state.oldest,
    s: served,
  });
  return Buffer.from(JSON.stringify({ b: body, c: checksum(body) })).toString('base64url');
}

function badCursor(reason: string, cursor: unknown, cause?: unknown): InvalidQueryError {
  const shown =
    typeof cursor === 'string' && cursor.length > 80 ? `${cursor.slice(0, 80)}...` : cursor;
  return new InvalidQueryError(`invalid ranked-feed cursor (${reason}): ${JSON.stringify(shown)}`, {
    path: 'query.cursor',
    value: cursor,
    cause,
  });
}

/** Decodes and checks a cursor for this ranking and feed; every defect is an InvalidQueryError. */
export function decodeCursor(cursor: unknown, ranking: Ranking, key: string): CursorState {
  if (typeof cursor !== 'string' || cursor.length === 0 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw badCursor('not a base64url string', cursor);
  }
  // A window of MAX_CANDIDATES served items is about 11 kB of cursor.
  if (cursor.length > 64_000) throw badCursor('too long', cursor);
  let outer: unknown;
  try {
    outer = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw badCursor('not JSON', cursor, error);
  }
  if (
    typeof outer !== 'object' ||
    outer === null ||
    typeof (outer as { b?: unknown }).b !== 'string' ||
    typeof (outer as { c?: unknown }).c !== 'string'
  ) {
    throw badCursor('not a cursor', cursor);
  }
  const { b: body, c: sum } = outer as { b: string; c: string };
  if (checksum(body) !== sum) throw badCursor('checksum mismatch: altered or truncated', cursor);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw badCursor('not JSON', cursor, error);
  }
  if (typeof parsed !== 'object' || parsed === null) throw badCursor('not a cursor', cursor);
  const state = parsed as Record<string, unknown>;
  if (state.v !== CURSOR_VERSION) {
    throw badCursor(`version ${String(state.v)}, this library reads ${CURSOR_VERSION}`, cursor);
  }
  if (state.r !== ranking.name) {
    throw badCursor(
      `made by ranking ${JSON.stringify(state.r)}, read with ${JSON.stringify(ranking.name)}`,
      cursor,
    );
  }
  if (state.f !== fingerprint(key)) throw badCursor(`made for another feed than ${key}`, cursor);
  const now = state.t;
  if (typeof now !== 'number' || !Number.isFinite(now)) throw badCursor('bad time', cursor);
  let newest: string;
  let oldest: string;
  try {
    newest = toSerializationId(state.hi as string);
    oldest = toSerializationId(state.lo as string);
  } catch (error) {
    throw badCursor('bad window', cursor, error);
  }
  if (compareSerializationIds(oldest, newest) > 0) throw badCursor('empty window', cursor);
  if (typeof state.s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(state.s)) {
    throw badCursor('bad served list', cursor);
  }
  const raw = Buffer.from(state.s, 'base64url');
  if (raw.length % FINGERPRINT_BYTES !== 0 || raw.length / FINGERPRINT_BYTES > MAX_CANDIDATES * 2) {
    throw badCursor('bad served list', cursor);
  }
  const served = new Set<string>();
  for (let at = 0; at < raw.length; at += FINGERPRINT_BYTES) {
    served.add(raw.subarray(at, at + FINGERPRINT_BYTES).toString('base64url'));
  }
  return { ranking: ranking.name, feed: fingerprint(key), now, newest, oldest, served };
}

function validateLimit(limit: unknown): number {
  const value = limit ?? DEFAULT_RANKED_LIMIT;
  if (
    !Number.isSafeInteger(value) ||
    (value as number) < 1 ||
    (value as number) > MAX_RANKED_LIMIT
  ) {
    throw new InvalidQueryError(
      `a ranked page's limit must be an integer from 1 to ${MAX_RANKED_LIMIT}, got ${String(limit)}`,
      { path: 'query.limit', value: limit },
    );
  }
  return value as number;
}

/** The tighter of two lower and of two upper bounds. */
function intersect(filter: Readonly<IdFilter>, window: IdFilter): IdFilter {
  const result: IdFilter = { ...filter };
  if (
    window.gte !== undefined &&
    (result.gte === undefined || compareSerializationIds(window.gte, result.gte) > 0)
  ) {
    result.gte = window.gte;
  }
  if (
    window.lte !== undefined &&
    (result.lte === undefined || compareSerializationIds(window.lte, result.lte) < 0)
  ) {
    result.lte = window.lte;
  }
  return result;
}

/**
 * One page of a ranking. Reads the candidate window in one timeline read, hydrates it in one
 * batch, scores it, and returns the best `limit` candidates not served by earlier pages.
 */
export async function rankedPage(
  source: RankedSource,
  ranking: Ranking,
  options: RankedPageOptions = {},
): Promise<RankedPage> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidQueryError(`page takes { limit, cursor }, got ${String(options)}`, {
      path: 'query',
      value: options,
    });
  }
  const limit = validateLimit(options.limit);
  let state: CursorState;
  let entries: FlatTimelineItem[];
  if (options.cursor === undefined || options.cursor === null) {
    const now = options.now ?? Date.now();
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new InvalidQueryError(`now must be a finite epoch ms, got ${String(options.now)}`, {
        path: 'query.now',
        value: options.now,
      });
    }
    entries = await source.read({ ...source.filter }, ranking.candidates);
    if (entries.length === 0) return { items: [], nextCursor: null, scores: [] };
    state = {
      ranking: ranking.name,
      feed: fingerprint(source.key),
      now,
      newest: entries[0]!.serializationId,
      oldest: entries.at(-1)!.serializationId,
      served: new Set(),
    };
  } else {
    state = decodeCursor(options.cursor, ranking, source.key);
    // The window is fixed: activities added since the first page are newer than `newest`; an
    // activity inserted inside it later (a delayed fanout of an older activity) joins the
    // remaining pages, up to twice the candidates.
    entries = await source.read(
      intersect(source.filter, { gte: state.oldest, lte: state.newest }),
      ranking.candidates * 2,
    );
  }
  const activities = await source.hydrate(entries);
  const context: RankingContext = { now: state.now, userId: source.userId, ranking: ranking.name };
  const scores: unknown = await ranking.scoreMany(activities, context);
  if (!Array.isArray(scores) || scores.length !== activities.length) {
    throw new RankingScoreError(
      `ranking ${ranking.name} scored ${activities.length} activities but returned ${Array.isArray(scores) ? `${scores.length} scores` : String(scores)}`,
      { ranking: ranking.name, value: scores },
    );
  }
  const scored = activities.map((activity, index) => {
    const score: unknown = scores[index];
    if (typeof score !== 'number' || !Number.isFinite(score)) {
      throw new RankingScoreError(
        `ranking ${ranking.name} gave activity ${activity.serializationId} the score ${String(score)}; scores must be finite numbers`,
        { ranking: ranking.name, activityId: activity.serializationId, value: score },
      );
    }
    return { activity, score, print: fingerprint(activity.serializationId) };
  });
  const remaining = scored
    .filter((entry) => !state.served.has(entry.print))
    .sort(
      (a, b) =>
        b.score - a.score ||
        compareSerializationIds(b.activity.serializationId, a.activity.serializationId),
    );
  const page = remaining.slice(0, limit);
  for (const entry of page) state.served.add(entry.print);
  return {
    items: page.map((entry) => entry.activity),
    scores: page.map((entry) => entry.score),
    nextCursor: remaining.length > page.length ? encodeCursor(state) : null,
  };
}

/** A feed read through one of its definition's rankings. */
export class RankedFeed {
  readonly ranking: Ranking;
  readonly #source: RankedSource;

  constructor(source: RankedSource, ranking: Ranking) {
    this.#source = source;
    this.ranking = ranking;
  }

  /** A page of the ranking: the first without a cursor, then with each page's `nextCursor`. */
  async page(options: RankedPageOptions = {}): Promise<RankedPage> {
    const observed = this.#source.metrics;
    if (!observed) return rankedPage(this.#source, this.ranking, options);
    const timer = observed.metrics.feedReadTimer(observed.feedName);
    try {
      const page = await rankedPage(this.#source, this.ranking, options);
      observed.metrics.onFeedRead(observed.feedName, page.items.length);
      return page;
    } finally {
      timer.stop();
    }
  }
}

/** The ranking of a definition by name, or a typed error listing the defined ones. */
export function rankingNamed(
  feedName: string,
  rankings: ReadonlyMap<string, Ranking>,
  name: unknown,
): Ranking {
  const ranking = typeof name === 'string' ? rankings.get(name) : undefined;
  if (!ranking) {
    const known = [...rankings.keys()];
    throw new InvalidQueryError(
      `feed ${feedName} has no ranking ${JSON.stringify(name)}; ${known.length === 0 ? 'it defines none (Feed.define({ rankings: { name: { candidates, score } } }))' : `defined: ${known.join(', ')}`}`,
      { path: 'ranking', value: name },
    );
  }
  return ranking;
}

export interface DecayedPopularityOptions {
  /** How many of the newest activities are ranked (default 100). */
  candidates?: number;
  /** The age at which the recency factor halves, in hours (default 24). */
  halfLifeHours?: number;
  /**
   * The popularity of an activity (a count of likes, saves...), e.g.
   * `(activity) => Number(activity.extraContext.likes)`; missing, negative or non-finite counts
   * are 0. Default: none (recency only).
   */
  popularity?: (activity: Activity) => number;
}

/**
 * The common ranking "recency decay times popularity": `0.5 ^ (age / halfLife) * (1 + popularity)`.
 * The score is its base-2 logarithm, `log2(1 + popularity) - ageHours / halfLifeHours`, which
 * ranks the same without underflowing to 0 for old activities.
 */
export function decayedPopularity(options: DecayedPopularityOptions = {}): RankingDefinition {
  const halfLifeHours = options.halfLifeHours ?? 24;
  if (typeof halfLifeHours !== 'number' || !Number.isFinite(halfLifeHours) || halfLifeHours <= 0) {
    throw new InvalidFeedOptionError(
      `decayedPopularity's halfLifeHours must be a positive number, got ${String(options.halfLifeHours)}`,
      { path: 'halfLifeHours', value: options.halfLifeHours },
    );
  }
  const popularity = options.popularity;
  const halfLifeMs = halfLifeHours * 3_600_000;
  return {
    candidates: options.candidates,
    score: (activity, { now }) => {
      const raw = popularity ? popularity(activity) : 0;
      const count = typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? raw : 0;
      return Math.log2(1 + count) - Math.max(0, now - activity.time.getTime()) / halfLifeMs;
    },
  };
}
