import { Activity, Add, Comment, Follow, Love } from '@sf/activity';
import type { ActivityIdScheme, Verb } from '@sf/activity';

/** 2013-07-08T06:59:15Z, the time of Stream Framework's own examples. */
export const BASE_TIME = Date.UTC(2013, 6, 8, 6, 59, 15);
export const DAY = 86_400_000;

export interface ActivityFixture {
  actor?: number;
  verb?: Verb;
  object?: number;
  target?: number | null;
  /** Milliseconds after BASE_TIME (default: index seconds). */
  offset?: number;
  extraContext?: Record<string, unknown>;
  /** Default: the `Activity` default (`'actor'`). */
  idScheme?: ActivityIdScheme;
}

/** Activity number `index` (1-based): actor index, object index, one second apart, Love. */
export function makeActivity(index: number, fixture: ActivityFixture = {}): Activity {
  return new Activity({
    actor: fixture.actor ?? index,
    verb: fixture.verb ?? Love,
    object: fixture.object ?? index,
    target: fixture.target ?? null,
    time: BASE_TIME + (fixture.offset ?? index * 1000),
    extraContext: fixture.extraContext,
    idScheme: fixture.idScheme,
  });
}

/** Activities 1..count, oldest first. */
export function makeActivities(
  count: number,
  fixture: (index: number) => ActivityFixture = () => ({}),
): Activity[] {
  return Array.from({ length: count }, (_, i) => makeActivity(i + 1, fixture(i + 1)));
}

export const verbs = { Follow, Comment, Love, Add };

export function ids(items: ReadonlyArray<{ serializationId: string }>): string[] {
  return items.map((item) => item.serializationId);
}

/** The id scheme a backend's format can store: Python's ids in the Stream Framework format. */
export function idSchemeFor(format: { readonly name: string }): ActivityIdScheme {
  return format.name === 'stream-framework' ? 'stream-framework' : 'actor';
}
