/**
 * The feeds a manager fans out to, by name: checking the definitions, looking one up by the name
 * a task or a read carries, and the typed feeds of one user (`getFeeds`).
 */
import type { AggregatedActivity } from '@sf/activity';
import { AggregatedFeedDefinition, FeedDefinition } from '@sf/feeds';
import type { UserId } from '@sf/feeds';
import { UnknownFeedError, invalidOption } from './errors.js';

/**
 * A feed definition the manager fans out to: flat, aggregated or notification (with any
 * aggregated activity class; the definitions' callback types make them invariant in it).
 */
export type FanoutFeedDefinition = FeedDefinition | AggregatedFeedDefinition<AggregatedActivity>;

/** The feed definitions of a manager, by name (`{ normal, aggregated }`). */
export type FanoutFeedDefinitions = Record<string, FanoutFeedDefinition>;

/**
 * The feeds of one user, by name: for each definition, what its `for(userId)` returns (a `Feed`,
 * an `AggregatedFeed<A>`, a `NotificationFeed<A>`).
 */
export type FeedsOf<F extends FanoutFeedDefinitions> = {
  [K in keyof F]: ReturnType<F[K]['for']>;
};

/** Checks that every entry is a feed definition; returns a frozen copy. */
export function checkFeedDefinitions<F extends FanoutFeedDefinitions>(feeds: F): Readonly<F> {
  for (const [name, definition] of Object.entries(feeds)) {
    if (
      !(definition instanceof FeedDefinition) &&
      !(definition instanceof AggregatedFeedDefinition)
    ) {
      throw invalidOption(
        `feeds.${name} must be a feed definition (Feed.define, AggregatedFeed.define, NotificationFeed.define)`,
        `feeds.${name}`,
        definition,
      );
    }
  }
  return Object.freeze({ ...feeds });
}

/** The names of the flat feeds (the ones a read can merge pulled authors into). */
export function flatFeedNames(feeds: Readonly<FanoutFeedDefinitions>): string[] {
  return Object.keys(feeds).filter((name) => feeds[name] instanceof FeedDefinition);
}

/** The definition of a feed by name, or `UnknownFeedError` (producer and worker disagree on feeds). */
export function feedByName(
  feeds: Readonly<FanoutFeedDefinitions>,
  name: string,
  path: string,
): FanoutFeedDefinition {
  const definition = Object.hasOwn(feeds, name) ? feeds[name] : undefined;
  if (!definition) throw new UnknownFeedError(name, Object.keys(feeds), path);
  return definition;
}

/** Every feed of a user, by name. */
export function feedsOf<F extends FanoutFeedDefinitions>(
  feeds: Readonly<F>,
  userId: UserId,
): FeedsOf<F> {
  return Object.fromEntries(
    Object.entries(feeds as Readonly<FanoutFeedDefinitions>).map(([name, definition]) => [
      name,
      definition.for(userId),
    ]),
  ) as FeedsOf<F>;
}
