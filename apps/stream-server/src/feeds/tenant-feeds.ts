import { NotificationActivity } from '@sf/activity';
import type { Activity, AggregatedActivity } from '@sf/activity';
import { NotificationAggregator, RecentVerbAggregator } from '@sf/aggregators';
import {
  AggregatedFeedDefinition,
  Feed,
  decayedPopularity,
  FeedDefinition,
  NotificationFeedDefinition,
} from '@sf/feeds';
import type { FeedFilter, RankingDefinition, StorageBackend } from '@sf/feeds';
import { FanoutPriority, InProcessFanoutQueue, Manager } from '@sf/manager';
import type { FanoutFeedDefinition, FanoutHandle } from '@sf/manager';
import type { Serializer } from '@sf/serializers';
import type { FeedConfig, FeedType, RankingConfig } from '../config.js';
import { ApiError, PublishIncompleteError, badRequest, notFound, toErrorBody } from '../errors.js';
import { activityOutput, aggregatedOutput, toActivity } from './activity-json.js';
import type { ActivityInput, ActivityOutput, AggregatedOutput, Verbs } from './activity-json.js';
import type { FollowStore } from './follow-store.js';

/** A page of a feed: offset/limit and optional bounds on activity ids (decimal strings). */
export interface FeedPage {
  offset: number;
  limit: number;
  idLt?: string;
  idLte?: string;
  idGt?: string;
  idGte?: string;
  /** A ranking of the feed (flat feeds): the page is ranked, paged by `cursor` instead of offset. */
  ranking?: string;
  /** `nextCursor` of the previous ranked page. */
  cursor?: string;
  /** Only activities of this verb (infinitive or id): feeds declaring `index.verb`. */
  verb?: string;
  /** `?board=b12`: the value of an extraContext field some feed declares in `index.field`. */
  [field: string]: string | number | undefined;
}

export interface FeedCounts {
  feed: string;
  userId: string;
  by: string;
  counts: Record<string, number>;
}

export interface FeedRead {
  feed: string;
  type: FeedType;
  userId: string;
  offset: number;
  limit: number;
  items: Array<ActivityOutput | AggregatedOutput>;
  /** Ranked reads only: the ranking, the items' scores, and the cursor of the next page (null at the end). */
  ranking?: string;
  scores?: number[];
  nextCursor?: string | null;
  /** Notification feeds only. */
  unseen?: number;
  unread?: number;
  /**
   * True while the reader's feeds are rebuilt after a long inactivity (`inactiveFollowers`):
   * the page may be incomplete; REST answers 206 with `Retry-After`.
   */
  rebuilding?: boolean;
}

export interface MarkOptions {
  seen?: boolean;
  read?: boolean;
  /** Ids of aggregated activities; all of them when absent. */
  ids?: string[];
}

type AnyDefinition = FeedDefinition | AggregatedFeedDefinition | NotificationFeedDefinition;

interface ConfiguredFeed {
  config: FeedConfig;
  definition: AnyDefinition;
}

export interface TenantFeedsOptions {
  feeds: readonly FeedConfig[];
  storage: StorageBackend;
  follows: FollowStore;
  verbs: Verbs;
  fanout: 'await' | 'background';
  onFanoutError: (error: unknown) => void;
  /** Skip inactive followers in fanouts (reads touch the reader's activity clock). */
  inactiveFollowers?: { afterMs: number } | null;
}

/**
 * One tenant's feeds: the configured definitions on the tenant's storage, a manager fanning
 * published activities out to followers, and the follow graph it reads.
 */
export class TenantFeeds {
  readonly #feeds = new Map<string, ConfiguredFeed>();
  readonly #verbs: Verbs;
  readonly #follows: FollowStore;
  readonly #queue: InProcessFanoutQueue;
  /** The storage's activity serializer: a publish serializes once before its first write. */
  readonly #serializer: Serializer<Activity>;
  readonly manager: Manager;
  readonly #touchReaders: boolean;

  constructor(options: TenantFeedsOptions) {
    this.#verbs = options.verbs;
    this.#follows = options.follows;
    const format = options.storage.format;
    this.#serializer = format.activitySerializer();
    let userFeed: FeedDefinition | undefined;
    const fanoutFeeds: Record<string, FanoutFeedDefinition> = {};
    for (const config of options.feeds) {
      const common = {
        name: config.name,
        keyFormat: config.keyFormat,
        maxLength: config.maxLength,
        storage: options.storage,
        format,
        ...(config.index ? { index: config.index } : {}),
      };
      let definition: AnyDefinition;
      if (config.type === 'flat') {
        definition = Feed.define({ ...common, rankings: rankingsOf(config.rankings) });
      } else if (config.type === 'aggregated') {
        definition = new AggregatedFeedDefinition<AggregatedActivity>({
          ...common,
          aggregator:
            config.aggregator === 'verb-object-day'
              ? new NotificationAggregator()
              : new RecentVerbAggregator(),
        });
      } else {
        definition = new NotificationFeedDefinition<NotificationActivity>({
          ...common,
          ...(config.aggregator === 'verb-day'
            ? {
                aggregator: new RecentVerbAggregator<NotificationActivity>({
                  aggregatedActivityClass: NotificationActivity,
                }),
              }
            : {}),
        });
      }
      this.#feeds.set(config.name, { config, definition });
      if (config.role === 'user') userFeed = definition as FeedDefinition;
      else if (config.fanout) fanoutFeeds[config.name] = definition;
    }
    if (!userFeed) throw new Error('the feed config has no user feed');
    this.#queue = new InProcessFanoutQueue({
      mode: options.fanout,
      onError: (error) => options.onFanoutError(error),
    });
    const inactive = options.inactiveFollowers;
    const storage = options.storage;
    if (inactive && !storage.activityClock)
      throw new Error(
        `inactiveFollowers needs a storage with an activity clock (${storage.name} has none)`,
      );
    this.manager = new Manager({
      feeds: fanoutFeeds,
      userFeed,
      getFollowerIds: (userId) => this.#follows.followers(String(userId)),
      queue: this.#queue,
      verbRegistry: this.#verbs.registry,
      ...(inactive && storage.activityClock
        ? {
            inactiveFollowers: {
              clock: storage.activityClock({ name: 'users' }),
              after: inactive.afterMs,
              getFollowingIds: (userId) => this.#follows.following(String(userId)),
            },
          }
        : {}),
    });
    this.#touchReaders = Boolean(inactive);
  }

  #feed(name: string): ConfiguredFeed {
    const feed = this.#feeds.get(name);
    // Schemas only let configured names through; this guards direct callers.
    if (!feed)
      throw notFound(
        `no feed named ${JSON.stringify(name)}; feeds: ${[...this.#feeds.keys()].join(', ')}`,
      );
    return feed;
  }

  /** The extraContext fields the configured feeds index (query parameters of reads). */
  get #indexedFields(): string[] {
    return [
      ...new Set([...this.#feeds.values()].flatMap(({ config }) => config.index?.field ?? [])),
    ];
  }

  /** Entries per verb or per value of the feed's indexed field (`GET /feeds/:feed/:userId/counts`). */
  async countBy(name: string, userId: string, by: string): Promise<FeedCounts> {
    const { config, definition } = this.#feed(name);
    if (by === 'verb' ? !config.index?.verb : config.index?.field !== by)
      throw badRequest(
        `feed ${name} cannot count by ${JSON.stringify(by)}: its config declares ${config.index ? JSON.stringify(config.index) : 'no index'}`,
      );
    const counts = await definition.for(userId).countBy(by, { verbRegistry: this.#verbs.registry });
    return { feed: name, userId, by, counts };
  }

  async read(name: string, userId: string, page: FeedPage): Promise<FeedRead> {
    const { config, definition } = this.#feed(name);
    // A read is what makes a user active; a user back after a long absence gets a rebuild.
    const rebuilding =
      this.#touchReaders && (await this.manager.touchUser(userId)).status === 'rebuilding';
    const filter: FeedFilter = {};
    if (page.idLt !== undefined) filter.activityIdLt = page.idLt;
    if (page.idLte !== undefined) filter.activityIdLte = page.idLte;
    if (page.idGt !== undefined) filter.activityIdGt = page.idGt;
    if (page.idGte !== undefined) filter.activityIdGte = page.idGte;
    if (page.verb !== undefined) {
      if (!config.index?.verb)
        throw badRequest(
          `feed ${name} does not filter by verb: declare "index": { "verb": true } in its config`,
        );
      const verb = /^[0-9]{1,3}$/.test(page.verb) ? Number(page.verb) : page.verb;
      filter.verb = this.#verbs.resolve(verb);
    }
    for (const field of this.#indexedFields) {
      const value = page[field];
      if (value === undefined) continue;
      if (config.index?.field !== field)
        throw badRequest(
          `feed ${name} does not filter by ${field}: declare "index": { "field": ${JSON.stringify(field)} } in its config`,
        );
      filter.extraContext = { [field]: String(value) };
    }
    const result: FeedRead = {
      feed: name,
      type: config.type,
      userId,
      offset: page.offset,
      limit: page.limit,
      items: [],
    };
    if (page.ranking !== undefined || page.cursor !== undefined) {
      if (page.ranking === undefined)
        throw badRequest('a cursor needs the ranking it was read with (ranking=<name>)');
      if (!(definition instanceof FeedDefinition) || !config.rankings?.[page.ranking]) {
        const known = Object.keys(config.rankings ?? {});
        throw badRequest(
          `feed ${name} has no ranking ${JSON.stringify(page.ranking)}${known.length > 0 ? `; rankings: ${known.join(', ')}` : ' (rankings are configured on flat feeds)'}`,
        );
      }
      if (page.offset !== 0) throw badRequest('a ranked read pages with cursor, not offset');
      const ranked = await definition
        .for(userId)
        .filter(filter)
        .ranked(page.ranking)
        .page({ limit: page.limit, cursor: page.cursor });
      result.items = ranked.items.map(activityOutput);
      result.ranking = page.ranking;
      result.scores = ranked.scores;
      result.nextCursor = ranked.nextCursor;
    } else if (definition instanceof FeedDefinition) {
      const activities = await definition
        .for(userId)
        .filter(filter)
        .get({ offset: page.offset, limit: page.limit });
      result.items = activities.map(activityOutput);
    } else if (definition instanceof NotificationFeedDefinition) {
      const feed = definition.for(userId);
      const [items, counts] = await Promise.all([
        feed.filter(filter).get({ offset: page.offset, limit: page.limit }),
        feed.counts(),
      ]);
      result.items = items.map(aggregatedOutput);
      result.unseen = counts.unseen;
      result.unread = counts.unread;
    } else {
      const items = await definition
        .for(userId)
        .filter(filter)
        .get({ offset: page.offset, limit: page.limit });
      result.items = items.map(aggregatedOutput);
    }
    if (rebuilding) result.rebuilding = true;
    return result;
  }

  /** Adds an activity to one user's feed directly (no fanout); stores it first where the feed keeps ids. */
  async add(
    name: string,
    userId: string,
    input: ActivityInput,
  ): Promise<{ id: string; activity: ActivityOutput }> {
    const { definition } = this.#feed(name);
    const activity = toActivity(input, this.#verbs);
    await definition.insertActivity(activity);
    if (definition instanceof FeedDefinition) await definition.for(userId).add(activity);
    else await definition.for(userId).add(activity);
    return { id: activity.serializationId, activity: activityOutput(activity) };
  }

  /** Removes an activity (by id) from one user's feed; returns how many entries changed. */
  async remove(name: string, userId: string, activityId: string): Promise<{ removed: number }> {
    const { definition } = this.#feed(name);
    if (definition instanceof FeedDefinition)
      return { removed: await definition.for(userId).remove(activityId) };
    return { removed: (await definition.for(userId).remove(activityId)).length };
  }

  async mark(
    name: string,
    userId: string,
    options: MarkOptions,
  ): Promise<{ unseen: number; unread: number }> {
    const { config, definition } = this.#feed(name);
    if (!(definition instanceof NotificationFeedDefinition)) {
      throw badRequest(
        `feed ${name} is a ${config.type} feed; only notification feeds have seen/read markers`,
      );
    }
    const seen = options.seen ?? true;
    const read = options.read ?? false;
    if (!seen && !read) throw badRequest('mark needs seen or read (or both) to be true');
    const feed = definition.for(userId);
    const counts =
      options.ids === undefined
        ? await feed.markAll({ seen, read })
        : await feed.markActivities(options.ids, { seen, read });
    return { unseen: counts.unseen, unread: counts.unread };
  }

  /**
   * Publishes an activity of a user: their user feed, then every follower's fanout feeds.
   * Everything is validated (and serialized once, as the writes will) before the first write.
   * When a write fails, the answer is a PublishIncompleteError (503) carrying the id and the
   * activity as stored: publishing it again (same time, so the same id) rewrites the same
   * entries and completes the fanout, duplicating nothing.
   */
  async publish(
    userId: string,
    input: ActivityInput,
  ): Promise<{ id: string; activity: ActivityOutput; fanoutTasks: number }> {
    const actor = actorOf(userId);
    const activity = toActivity(input, this.#verbs, actor);
    const output = activityOutput(activity);
    this.#serializer.dumps(activity);
    let handle: FanoutHandle;
    try {
      handle = await this.manager.addUserActivity(userId, activity);
    } catch (error) {
      // A refusal (4xx: a conflict, an invalid value) wrote nothing; anything else may have.
      if (toErrorBody(error).statusCode < 500) throw error;
      throw new PublishIncompleteError(activity.serializationId, output, error);
    }
    return { id: activity.serializationId, activity: output, fanoutTasks: handle.tasks };
  }

  /**
   * Removes a published activity from every follower's feeds, then from the user feed: when the
   * fanout fails (503 FANOUT_FAILED), the activity is still in the user feed and the unpublish
   * can be repeated. (The manager's removeUserActivity removes it from the user feed first.)
   */
  async unpublish(
    userId: string,
    activityId: string,
  ): Promise<{ removed: boolean; fanoutTasks: number }> {
    numericUser(userId, 'unpublish');
    const activity = await this.#published(userId, activityId);
    if (!activity) throw notFound(`user ${userId} has no activity ${activityId}`);
    const followers = await this.#follows.followers(userId);
    const tasks = this.manager.createFanoutTasks(
      [[FanoutPriority.HIGH, followers]],
      'remove',
      [activity],
      false,
    );
    const enqueued = await this.manager.queue.enqueue(tasks);
    await this.manager.userFeed.for(userId).remove(activity);
    return { removed: true, fanoutTasks: enqueued.tasks };
  }

  /**
   * Updates a published activity in place: the same activity (same id, actor, verb, object,
   * time) with new extraContext, and a new target when one is given. Every feed holding it shows
   * the new version on its next read, in the same position; feeds holding copies (notification
   * feeds; every feed on Cassandra) are rewritten by a fanout of update tasks. Nothing is created:
   * an activity the user did not publish is a 404.
   */
  async update(
    userId: string,
    activityId: string,
    change: { extraContext: Record<string, unknown> },
  ): Promise<{ id: string; activity: ActivityOutput; fanoutTasks: number }> {
    numericUser(userId, 'update');
    const activity = await this.#published(userId, activityId);
    if (!activity) throw notFound(`user ${userId} has no activity ${activityId}`);
    const updated = activity.withExtraContext(change.extraContext);
    this.#serializer.dumps(updated);
    const handle = await this.manager.updateActivity(updated);
    return {
      id: updated.serializationId,
      activity: activityOutput(updated),
      fanoutTasks: handle.tasks,
    };
  }

  /** The activities of a user's feed carrying a foreign id, oldest first. */
  async byForeignId(userId: string, foreignId: string): Promise<{ activities: ActivityOutput[] }> {
    const actor = actorOf(userId);
    const activities = await this.manager.userFeed.getByForeignId(foreignId);
    return {
      activities: activities.filter((a) => a.actorId === actor).map(activityOutput),
    };
  }

  /**
   * Removes the user's activities carrying a foreign id (every time it was published at) from
   * every follower's feeds, then from the user feed and the activity storage, as `unpublish`.
   */
  async unpublishByForeignId(
    userId: string,
    foreignId: string,
  ): Promise<{ removed: number; fanoutTasks: number }> {
    const actor = actorOf(userId);
    const activities = (await this.manager.userFeed.getByForeignId(foreignId)).filter(
      (activity) => activity.actorId === actor,
    );
    if (activities.length === 0)
      throw notFound(`user ${userId} has no activity with foreign id ${JSON.stringify(foreignId)}`);
    const followers = await this.#follows.followers(userId);
    const tasks = this.manager.createFanoutTasks(
      [[FanoutPriority.HIGH, followers]],
      'remove',
      activities,
      false,
    );
    const enqueued = await this.manager.queue.enqueue(tasks);
    await this.manager.userFeed.for(userId).removeMany(activities);
    await this.manager.userFeed.removeActivitiesByForeignId(foreignId);
    return { removed: activities.length, fanoutTasks: enqueued.tasks };
  }

  async #published(userId: string, activityId: string): Promise<Activity | undefined> {
    const [activity] = await this.manager.userFeed
      .for(userId)
      .filter({ activityIdGte: activityId, activityIdLte: activityId })
      .get({ limit: 1 });
    return activity;
  }

  async follow(
    userId: string,
    targetId: string,
  ): Promise<{ following: boolean; changed: boolean }> {
    if (userId === targetId) throw badRequest('a user cannot follow themselves');
    const changed = await this.#follows.follow(userId, targetId);
    await this.manager.followUser(userId, targetId);
    return { following: true, changed };
  }

  async unfollow(
    userId: string,
    targetId: string,
  ): Promise<{ following: boolean; changed: boolean }> {
    const changed = await this.#follows.unfollow(userId, targetId);
    await this.manager.unfollowUser(userId, targetId);
    return { following: false, changed };
  }

  async followers(userId: string): Promise<string[]> {
    return this.#follows.followers(userId);
  }

  async following(userId: string): Promise<string[]> {
    return this.#follows.following(userId);
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}

/** The actor of a publishing user: its number when it is a decimal integer, else the string id. */
function actorOf(userId: string): number | string {
  return /^(0|[1-9][0-9]{0,15})$/.test(userId) && Number.isSafeInteger(Number(userId))
    ? Number(userId)
    : userId;
}

/** A configured ranking: recency decay times an extraContext count (see RankingConfig). */
function rankingsOf(
  rankings: Readonly<Record<string, RankingConfig>> | undefined,
): Record<string, RankingDefinition> | undefined {
  if (!rankings) return undefined;
  return Object.fromEntries(
    Object.entries(rankings).map(([name, ranking]) => {
      const field = ranking.popularityField;
      return [
        name,
        decayedPopularity({
          candidates: ranking.candidates,
          halfLifeHours: ranking.halfLifeHours,
          popularity:
            field === undefined ? undefined : (activity) => Number(activity.extraContext[field]),
        }),
      ];
    }),
  );
}

/** Activities need integer actors: a publishing user id must be a decimal integer. */
function numericUser(userId: string, operation: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(userId) || !Number.isSafeInteger(Number(userId))) {
    throw new ApiError(
      400,
      'BAD_REQUEST',
      `${operation} needs a numeric user id (activities have integer actors), got ${JSON.stringify(userId)}`,
    );
  }
  return Number(userId);
}
