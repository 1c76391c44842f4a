/**
 * Reads with push/pull: a reader's flat feed with the user feeds of the large authors they follow
 * (who were not pushed to it) merged in at read time.
 */
import { InvalidArgumentError, compareSerializationIds } from '@sf/activity';
import type { Activity } from '@sf/activity';
import { FeedDefinition, validateUserId } from '@sf/feeds';
import type { FlatTimelineItem, IdFilter, Metrics, UserId } from '@sf/feeds';
import { invalidOption } from './errors.js';
import type { FanoutFeedDefinition } from './feed-registry.js';
import type { ReadFeedOptions } from './manager-options.js';

/** What a merged read needs of the manager. */
export interface ReadFeedContext {
  feed(name: string): FanoutFeedDefinition;
  userFeed: FeedDefinition;
  pullFeeds: ReadonlySet<string>;
  getPulledAuthorIds: ((readerId: UserId) => Promise<readonly UserId[]>) | undefined;
  metrics: Metrics;
}

function checkPage(options: ReadFeedOptions): number {
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(
      `offset must be a non-negative integer, got ${String(options.offset)}`,
      { path: 'options.offset', value: options.offset },
    );
  }
  if (options.limit !== undefined && (!Number.isSafeInteger(options.limit) || options.limit < 0)) {
    throw new InvalidArgumentError(
      `limit must be a non-negative integer, got ${String(options.limit)}`,
      { path: 'options.limit', value: options.limit },
    );
  }
  return offset;
}

function withinBounds(id: string, bounds: Readonly<IdFilter>): boolean {
  if (bounds.gte !== undefined && compareSerializationIds(id, bounds.gte) < 0) return false;
  if (bounds.gt !== undefined && compareSerializationIds(id, bounds.gt) <= 0) return false;
  if (bounds.lte !== undefined && compareSerializationIds(id, bounds.lte) > 0) return false;
  if (bounds.lt !== undefined && compareSerializationIds(id, bounds.lt) >= 0) return false;
  return true;
}

/** See `Manager.readFeed`. */
export async function readMergedFeed(
  context: ReadFeedContext,
  readerId: UserId,
  feedName: string,
  options: ReadFeedOptions,
): Promise<Activity[]> {
  validateUserId(readerId);
  const definition = context.feed(feedName);
  if (!(definition instanceof FeedDefinition)) {
    throw invalidOption(
      `readFeed merges flat feeds only; ${JSON.stringify(feedName)} is aggregated: read it with getFeeds(userId).${feedName}.get()`,
      'feedName',
      feedName,
    );
  }
  const offset = checkPage(options);
  const own = options.filter
    ? definition.for(readerId).filter(options.filter)
    : definition.for(readerId);
  const pulled =
    context.pullFeeds.has(feedName) && context.getPulledAuthorIds
      ? [
          ...new Set(
            (await context.getPulledAuthorIds(readerId)).map((id) => String(validateUserId(id))),
          ),
        ]
      : [];
  if (pulled.length === 0) return own.get({ offset, limit: options.limit });

  const end = Math.min(
    options.limit === undefined ? definition.maxLength : offset + options.limit,
    definition.maxLength,
  );
  if (end <= offset) return [];
  const { metrics, userFeed } = context;
  const timer = metrics.feedReadTimer(definition.name);
  try {
    const sources = [
      { definition, key: own.key },
      ...pulled.map((authorId) => ({
        definition: userFeed,
        key: userFeed.keyFor(authorId),
      })),
    ];
    const bounds = own.idFilter;
    // The newest `end` of the merge are among the newest `end` of each source; an id filter
    // applies within the merged feed's newest maxLength, so then every source gives that many.
    const filtered = Object.values(bounds).some((bound) => bound !== undefined);
    const window = filtered ? definition.maxLength : end;
    const lists = await Promise.all(
      sources.map((source) =>
        source.definition.getEntries(source.key, { offset: 0, limit: window }),
      ),
    );
    const merged = new Map<string, { item: FlatTimelineItem; source: number }>();
    lists.forEach((items, source) => {
      for (const item of items)
        if (!merged.has(item.serializationId)) merged.set(item.serializationId, { item, source });
    });
    const page = [...merged.values()]
      .sort((a, b) => compareSerializationIds(b.item.serializationId, a.item.serializationId))
      .slice(0, definition.maxLength)
      .filter(({ item }) => withinBounds(item.serializationId, bounds))
      .slice(offset, end);
    const hydrated = new Map<string, Activity>();
    await Promise.all(
      sources.map(async (source, index) => {
        const items = page.filter((entry) => entry.source === index).map((entry) => entry.item);
        if (items.length === 0) return;
        for (const activity of await source.definition.hydrate(source.key, items))
          hydrated.set(activity.serializationId, activity);
      }),
    );
    const result = page.flatMap(({ item }) => hydrated.get(item.serializationId) ?? []);
    metrics.onFeedRead(definition.name, result.length);
    return result;
  } finally {
    timer.stop();
  }
}
