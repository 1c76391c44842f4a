import type { Backend, Tenant } from './backend.js';
import type { Access, ServerConfig } from './config.js';
import { ApiError, badRequest } from './errors.js';
import type { ActivityInput } from './feeds/activity-json.js';
import type { FeedPage, MarkOptions, TenantFeeds } from './feeds/tenant-feeds.js';
import { indexEntries, indexValue, normalizeFilters } from './items/store.js';
import type { ItemFilter } from './items/store.js';
import { checkIndexValue, checkRequestJson } from './request-json.js';
import type { JsonSchema, Schemas } from './schemas.js';

type Scalar = string | number | boolean;

/** What a caller may send to `items` (REST sends arrays of strings, JSON-RPC any scalars). */
export type ItemsParams = { start?: number; end?: number } & Record<
  string,
  Scalar | Scalar[] | undefined
>;

/** A page of items; `skipped` counts stored entries that were not JSON objects (left out). */
export interface ItemsPage {
  texts: string[];
  values: unknown[];
  skipped: number;
}

/** A stored item that is not a JSON object: its tenant, position in the answer and text. */
export interface CorruptItem {
  tenant: string;
  position: number;
  text: string;
}

export interface FeedParams {
  feed: string;
  userId: string | number;
}

/**
 * One operation of the API, shared by the REST routes and JSON-RPC: its access level, its
 * parameters (by name; JSON-RPC may also pass them by position) and what it does.
 */
export interface Operation {
  method: string;
  access: Access;
  summary: string;
  /** Needs the feeds of the config (absent when the config has none). */
  feeds: boolean;
  params: JsonSchema;
  positional: readonly string[];
  run(tenant: Tenant, params: Record<string, unknown>): Promise<unknown>;
}

function feedsOf(tenant: Tenant): TenantFeeds {
  if (!tenant.feeds) throw new ApiError(404, 'NO_FEEDS', 'this server has no feeds configured');
  return tenant.feeds;
}

const user = (id: unknown) => String(id);

export class Operations {
  readonly #config: ServerConfig;
  readonly list: Operation[];
  readonly byMethod: Map<string, Operation>;

  readonly #onCorruptItem: (item: CorruptItem) => void;

  constructor(backend: Backend, schemas: Schemas, onCorruptItem: (item: CorruptItem) => void) {
    this.#config = backend.config;
    this.#onCorruptItem = onCorruptItem;
    const object = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({
      type: 'object',
      additionalProperties: false,
      required,
      properties,
    });
    const feedRef = { feed: schemas.feedName, userId: schemas.userIdParam };
    const operations: Operation[] = [
      {
        method: 'insert',
        access: 'write',
        summary: 'Insert an item (any JSON object); returns its id.',
        feeds: false,
        params: object({ item: schemas.item }, ['item']),
        positional: ['item'],
        run: async (tenant, params) => ({
          id: await this.insert(tenant, params.item as Record<string, unknown>),
        }),
      },
      {
        method: 'items',
        access: 'read',
        summary:
          'Items newest first, items[start:end], filtered by indexed keys (any of the values of a key; all keys).',
        feeds: false,
        params: schemas.itemsParams,
        positional: ['start', 'end'],
        run: async (tenant, params) => (await this.items(tenant, params as ItemsParams)).values,
      },
      {
        method: 'readFeed',
        access: 'read',
        summary: "A page of a user's feed (flat, aggregated or notification), newest first.",
        feeds: true,
        params: object({ ...feedRef, ...schemas.feedPage }, ['feed', 'userId']),
        positional: ['feed', 'userId', 'offset', 'limit'],
        run: async (tenant, params) => {
          const { feed, userId, ...page } = params as unknown as FeedParams & FeedPage;
          return feedsOf(tenant).read(feed, user(userId), page);
        },
      },
      {
        method: 'addToFeed',
        access: 'write',
        summary: "Add an activity to one user's feed (no fanout).",
        feeds: true,
        params: object({ ...feedRef, activity: schemas.activity }, ['feed', 'userId', 'activity']),
        positional: ['feed', 'userId', 'activity'],
        run: async (tenant, params) => {
          const { feed, userId, activity } = params as unknown as FeedParams & {
            activity: ActivityInput;
          };
          return feedsOf(tenant).add(feed, user(userId), activity);
        },
      },
      {
        method: 'removeFromFeed',
        access: 'write',
        summary: "Remove an activity from one user's feed.",
        feeds: true,
        params: object({ ...feedRef, activityId: schemas.activityId }, [
          'feed',
          'userId',
          'activityId',
        ]),
        positional: ['feed', 'userId', 'activityId'],
        run: async (tenant, params) => {
          const { feed, userId, activityId } = params as unknown as FeedParams & {
            activityId: string;
          };
          return feedsOf(tenant).remove(feed, user(userId), activityId);
        },
      },
      {
        method: 'markFeed',
        access: 'write',
        summary:
          'Mark notifications seen and/or read (all, or the given aggregated activity ids); returns the counts.',
        feeds: true,
        params: object({ ...feedRef, ...schemas.mark }, ['feed', 'userId']),
        positional: ['feed', 'userId'],
        run: async (tenant, params) => {
          const { feed, userId, ...options } = params as unknown as FeedParams & MarkOptions;
          return feedsOf(tenant).mark(feed, user(userId), options);
        },
      },
      {
        method: 'publish',
        access: 'write',
        summary: "Publish a user's activity: their user feed, then the feeds of their followers.",
        feeds: true,
        params: object({ userId: schemas.userIdParam, activity: schemas.activity }, [
          'userId',
          'activity',
        ]),
        positional: ['userId', 'activity'],
        run: async (tenant, params) =>
          feedsOf(tenant).publish(user(params.userId), params.activity as ActivityInput),
      },
      {
        method: 'unpublish',
        access: 'write',
        summary: "Remove a user's published activity from their feed and their followers' feeds.",
        feeds: true,
        params: object({ userId: schemas.userIdParam, activityId: schemas.activityId }, [
          'userId',
          'activityId',
        ]),
        positional: ['userId', 'activityId'],
        run: async (tenant, params) =>
          feedsOf(tenant).unpublish(user(params.userId), params.activityId as string),
      },
      {
        method: 'follow',
        access: 'write',
        summary: "Follow a user: their recent activities are copied into the follower's feeds.",
        feeds: true,
        params: object({ userId: schemas.userIdParam, targetId: schemas.userIdParam }, [
          'userId',
          'targetId',
        ]),
        positional: ['userId', 'targetId'],
        run: async (tenant, params) =>
          feedsOf(tenant).follow(user(params.userId), user(params.targetId)),
      },
      {
        method: 'unfollow',
        access: 'write',
        summary: "Unfollow a user: their activities leave the follower's feeds.",
        feeds: true,
        params: object({ userId: schemas.userIdParam, targetId: schemas.userIdParam }, [
          'userId',
          'targetId',
        ]),
        positional: ['userId', 'targetId'],
        run: async (tenant, params) =>
          feedsOf(tenant).unfollow(user(params.userId), user(params.targetId)),
      },
      {
        method: 'followers',
        access: 'read',
        summary: 'The users following a user.',
        feeds: true,
        params: object({ userId: schemas.userIdParam }, ['userId']),
        positional: ['userId'],
        run: async (tenant, params) => ({
          userIds: await feedsOf(tenant).followers(user(params.userId)),
        }),
      },
      {
        method: 'following',
        access: 'read',
        summary: 'The users a user follows.',
        feeds: true,
        params: object({ userId: schemas.userIdParam }, ['userId']),
        positional: ['userId'],
        run: async (tenant, params) => ({
          userIds: await feedsOf(tenant).following(user(params.userId)),
        }),
      },
    ];
    this.list = operations.filter(
      (operation) => !operation.feeds || backend.config.feeds.length > 0,
    );
    this.byMethod = new Map(this.list.map((operation) => [operation.method, operation]));
  }

  get(method: string): Operation {
    const operation = this.byMethod.get(method);
    if (!operation) throw new Error(`no operation ${method}`);
    return operation;
  }

  /** Stores an item; its JSON must fit the body limit (JSON-RPC batches can carry bigger ones). */
  async insert(tenant: Tenant, item: Record<string, unknown>): Promise<string> {
    const entries = indexEntries(item, this.#config.itemKeys);
    for (const entry of entries) checkIndexValue(entry.key, entry.value);
    const json = JSON.stringify(item);
    if (Buffer.byteLength(json) > this.#config.limits.bodyBytes) {
      throw new ApiError(
        413,
        'ITEM_TOO_LARGE',
        `an item may have at most ${this.#config.limits.bodyBytes} bytes of JSON`,
      );
    }
    return tenant.items.insert(json, entries);
  }

  /**
   * The matching items, newest first: their stored JSON texts and parsed values. A stored text
   * that is not a JSON object this server could have written (corrupt storage: not JSON, not an
   * object, nested deeper than limits.jsonDepth) is skipped, counted and reported, so the answer
   * is always valid JSON.
   */
  async items(tenant: Tenant, params: ItemsParams): Promise<ItemsPage> {
    const start = params.start ?? 0;
    const end = params.end ?? 20;
    const { pageSize, filterValues } = this.#config.limits;
    if (end < start) throw badRequest(`end (${end}) must not be less than start (${start})`);
    if (end - start > pageSize)
      throw badRequest(`end - start may be at most ${pageSize}, got ${end - start}`);
    const filters: ItemFilter[] = [];
    for (const key of this.#config.itemKeys) {
      const raw = params[key];
      if (raw === undefined) continue;
      const values = (Array.isArray(raw) ? raw : [raw]).map(indexValue);
      if (values.length === 0) throw badRequest(`filter ${key} needs at least one value`);
      for (const value of values) checkIndexValue(key, value);
      filters.push({ key, values });
    }
    const normalized = normalizeFilters(filters);
    const total = normalized.reduce((sum, filter) => sum + filter.values.length, 0);
    if (total > filterValues)
      throw badRequest(`a query may have at most ${filterValues} filter values, got ${total}`);
    const texts = await tenant.items.query({ filters: normalized, start, end });
    const page: ItemsPage = { texts: [], values: [], skipped: 0 };
    texts.forEach((text, index) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
        checkRequestJson(value, this.#config.limits.jsonDepth, 'a stored item');
      } catch {
        value = undefined;
      }
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        page.texts.push(text);
        page.values.push(value);
        return;
      }
      page.skipped++;
      this.#onCorruptItem({ tenant: tenant.id, position: start + index, text });
    });
    return page;
  }
}
