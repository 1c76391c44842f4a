import type { Tenant } from './backend.js';
import { ApiError } from './errors.js';
import type { ActivityInput } from './feeds/activity-json.js';
import type { FeedPage, FeedRead, MarkOptions, TenantFeeds } from './feeds/tenant-feeds.js';
import type { FeedParams, ItemsParams, Operation, Operations, RestRoute } from './operations.js';
import type { JsonSchema, Schemas } from './schemas.js';

function feedsOf(tenant: Tenant): TenantFeeds {
  if (!tenant.feeds) throw new ApiError(404, 'NO_FEEDS', 'this server has no feeds configured');
  return tenant.feeds;
}

const user = (id: unknown) => String(id);

/**
 * The schema of each path parameter a REST route may have (`:feed`, `:userId`, ...): path
 * segments are strings, so user ids are matched by pattern here and accepted as numbers or
 * strings in JSON-RPC params.
 */
export function pathParamSchemas(schemas: Schemas): Record<string, JsonSchema> {
  return {
    feed: schemas.feedName,
    userId: schemas.userIdPath,
    targetId: schemas.userIdPath,
    activityId: schemas.activityId,
    foreignId: schemas.foreignId,
  };
}

/**
 * Every operation of the API, declared once: its JSON-RPC method and params, and its REST
 * route (path, HTTP method, where the params come from, the answer's status and schema).
 */
export function operationTable(
  operations: Operations,
  schemas: Schemas,
  retryAfterSeconds = 2,
): Operation[] {
  const object = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({
    type: 'object',
    additionalProperties: false,
    required,
    properties,
  });
  const feedRef = { feed: schemas.feedName, userId: schemas.userIdParam };
  const added = {
    type: 'object',
    required: ['id', 'activity'],
    properties: {
      id: { type: 'string' },
      activity: schemas.activityOut,
      fanoutTasks: { type: 'integer' },
    },
  };
  const followResponse = {
    type: 'object',
    required: ['following', 'changed'],
    properties: { following: { type: 'boolean' }, changed: { type: 'boolean' } },
  };
  const userIds = {
    type: 'object',
    required: ['userIds'],
    properties: { userIds: { type: 'array', items: { type: 'string' } } },
  };
  /**
   * An operation on one user's published activities or follows, `/users/:userId/...`: its
   * params are `userId` and, when given, one more id of the path (`activityId`, `foreignId`,
   * `targetId`), both required and positional in that order. The entry states only the rest.
   */
  const userOperation = (spec: {
    method: string;
    access: Operation['access'];
    summary: string;
    /** The id the path names after the user: its param name and schema. */
    id?: readonly [name: string, schema: JsonSchema];
    run: (feeds: TenantFeeds, userId: string, id: string) => Promise<unknown>;
    rest: Omit<RestRoute, 'tag'>;
  }): Operation => {
    const names = spec.id ? ['userId', spec.id[0]] : ['userId'];
    return {
      method: spec.method,
      access: spec.access,
      summary: spec.summary,
      feeds: true,
      params: object(
        { userId: schemas.userIdParam, ...(spec.id ? { [spec.id[0]]: spec.id[1] } : {}) },
        names,
      ),
      positional: names,
      // Ids arrive as numbers or strings in JSON-RPC params (the schemas check which): strings here.
      run: async (tenant, params) =>
        spec.run(feedsOf(tenant), user(params.userId), spec.id ? String(params[spec.id[0]]) : ''),
      rest: { ...spec.rest, tag: 'users' },
    };
  };
  return [
    {
      method: 'insert',
      access: 'write',
      summary: 'Insert an item (any JSON object); returns its id.',
      feeds: false,
      params: object({ item: schemas.item }, ['item']),
      positional: ['item'],
      run: async (tenant, params) => ({
        id: await operations.insert(tenant, params.item as Record<string, unknown>),
      }),
      rest: {
        method: 'POST',
        url: '/items',
        tag: 'items',
        summary: 'Insert an item (any JSON object).',
        body: { param: 'item', schema: schemas.item },
        status: 201,
        response: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        errors: [400, 401, 403, 413, 415],
      },
    },
    {
      method: 'items',
      access: 'read',
      summary:
        'Items newest first, items[start:end], filtered by indexed keys (any of the values of a key; all keys).',
      feeds: false,
      params: schemas.itemsParams,
      positional: ['start', 'end'],
      run: async (tenant, params) => (await operations.items(tenant, params as ItemsParams)).values,
      rest: {
        method: 'GET',
        url: '/items',
        tag: 'items',
        summary: 'Items newest first: items[start:end], filtered by indexed keys.',
        description:
          'Each indexed key may be given once (equality) or repeated (any of the values); several keys must all match. Values compare as text: user=23 matches the number 23.',
        query: schemas.itemsQuery,
        response: {
          type: 'object',
          required: ['items'],
          properties: {
            items: { type: 'array', items: { type: 'object', additionalProperties: true } },
            skipped: {
              type: 'integer',
              description:
                'Stored items left out because they are not JSON objects (corrupt storage); absent when none.',
            },
          },
        },
        errors: [400, 401],
        // The stored JSON texts (each checked to be a JSON object), not stringified again.
        json: async (tenant, params) => {
          const page = await operations.items(tenant, params as ItemsParams);
          const skipped = page.skipped > 0 ? `,"skipped":${page.skipped}` : '';
          return `{"items":[${page.texts.join(',')}]${skipped}}`;
        },
      },
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
      rest: {
        method: 'GET',
        url: '/feeds/:feed/:userId',
        tag: 'feeds',
        summary:
          "A page of a user's feed, newest first (notification feeds add unseen/unread counts).",
        query: { type: 'object', additionalProperties: false, properties: schemas.feedPage },
        response: schemas.feedRead,
        errors: [400, 401],
        otherResponses: {
          206: {
            ...schemas.feedRead,
            description:
              "The reader's feeds are being rebuilt after a long inactivity (inactiveFollowers): the page may be incomplete; read again after Retry-After seconds.",
          },
        },
        partial: (result) =>
          (result as FeedRead).rebuilding === true ? retryAfterSeconds : undefined,
      },
    },
    {
      method: 'countFeed',
      access: 'read',
      summary:
        "Entries of a user's feed per verb (or per value of its indexed extraContext field).",
      feeds: true,
      params: object({ ...feedRef, ...schemas.feedCountBy }, ['feed', 'userId']),
      positional: ['feed', 'userId', 'by'],
      run: async (tenant, params) => {
        const { feed, userId, by } = params as unknown as FeedParams & { by?: string };
        return feedsOf(tenant).countBy(feed, user(userId), by ?? 'verb');
      },
      rest: {
        method: 'GET',
        url: '/feeds/:feed/:userId/counts',
        tag: 'feeds',
        summary: "Entries of a user's feed per verb (`?by=verb`) or per indexed field value.",
        query: { type: 'object', additionalProperties: false, properties: schemas.feedCountBy },
        response: schemas.feedCounts,
        errors: [400, 401],
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
      rest: {
        method: 'POST',
        url: '/feeds/:feed/:userId/activities',
        tag: 'feeds',
        summary: "Add an activity to one user's feed (no fanout).",
        body: { param: 'activity', schema: schemas.activity },
        status: 201,
        response: added,
        errors: [400, 401, 403],
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
      rest: {
        method: 'DELETE',
        url: '/feeds/:feed/:userId/activities/:activityId',
        tag: 'feeds',
        summary: "Remove an activity from one user's feed.",
        response: {
          type: 'object',
          required: ['removed'],
          properties: { removed: { type: 'integer' } },
        },
        errors: [400, 401, 403],
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
      rest: {
        method: 'POST',
        url: '/feeds/:feed/:userId/mark',
        tag: 'feeds',
        summary: 'Mark notifications seen and/or read (all, or some ids); returns the new counts.',
        body: {
          fields: { type: 'object', additionalProperties: false, properties: schemas.mark },
        },
        response: schemas.counts,
        errors: [400, 401, 403],
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
      rest: {
        method: 'POST',
        url: '/users/:userId/activities',
        tag: 'users',
        summary: "Publish a user's activity to their user feed and their followers' feeds.",
        body: { param: 'activity', schema: schemas.activity },
        status: 201,
        response: added,
        errors: [400, 401, 403],
        otherResponses: {
          503: {
            ...schemas.error,
            description:
              'PUBLISH_INCOMPLETE: a write failed after validation; publish the same activity (same time) again to complete it. Other 503s (storage unavailable, FEED_LOCKED) lack id and activity.',
            properties: {
              ...(schemas.error.properties as object),
              id: { type: 'string' },
              activity: schemas.activityOut,
              retryable: { type: 'boolean' },
            },
          },
        },
      },
    },
    userOperation({
      method: 'unpublish',
      access: 'write',
      summary: "Remove a user's published activity from their feed and their followers' feeds.",
      id: ['activityId', schemas.activityId],
      run: (feeds, userId, activityId) => feeds.unpublish(userId, activityId),
      rest: {
        method: 'DELETE',
        url: '/users/:userId/activities/:activityId',
        summary: "Remove a published activity from the user's feed and their followers' feeds.",
        response: {
          type: 'object',
          required: ['removed'],
          properties: { removed: { type: 'boolean' }, fanoutTasks: { type: 'integer' } },
        },
        errors: [400, 401, 403, 404],
      },
    }),
    {
      method: 'updateActivity',
      access: 'write',
      summary:
        "Update a user's published activity in place (new extraContext): every feed holding it shows the new version, same id and position.",
      feeds: true,
      params: object(
        {
          userId: schemas.userIdParam,
          activityId: schemas.activityId,
          extraContext: schemas.extraContext,
        },
        ['userId', 'activityId', 'extraContext'],
      ),
      positional: ['userId', 'activityId', 'extraContext'],
      run: async (tenant, params) =>
        feedsOf(tenant).update(user(params.userId), params.activityId as string, {
          extraContext: params.extraContext as Record<string, unknown>,
        }),
      rest: {
        method: 'PUT',
        url: '/users/:userId/activities/:activityId',
        tag: 'users',
        summary:
          'Update a published activity in place (new extraContext); every feed holding it shows the new version.',
        description:
          'The activity keeps its id, actor, verb, object and time, and its place in every feed. Feeds that hold activity ids show the new version with no fanout; feeds holding copies (notification feeds; every feed on Cassandra) are rewritten by update tasks (fanoutTasks). Nothing is created: 404 when the user did not publish the activity.',
        body: {
          fields: {
            type: 'object',
            additionalProperties: false,
            required: ['extraContext'],
            properties: { extraContext: schemas.extraContext },
          },
        },
        response: added,
        errors: [400, 401, 403, 404],
      },
    },
    userOperation({
      method: 'activitiesByForeignId',
      access: 'read',
      summary: "A user's published activities carrying a foreign id (e.g. pin:123), oldest first.",
      id: ['foreignId', schemas.foreignId],
      run: (feeds, userId, foreignId) => feeds.byForeignId(userId, foreignId),
      rest: {
        method: 'GET',
        url: '/users/:userId/foreign-ids/:foreignId',
        summary: "A user's published activities carrying a foreign id.",
        response: {
          type: 'object',
          required: ['activities'],
          properties: { activities: { type: 'array', items: schemas.activityOut } },
        },
        errors: [400, 401, 403],
      },
    }),
    userOperation({
      method: 'unpublishByForeignId',
      access: 'write',
      summary:
        "Remove a user's activities carrying a foreign id from their feed and their followers' feeds.",
      id: ['foreignId', schemas.foreignId],
      run: (feeds, userId, foreignId) => feeds.unpublishByForeignId(userId, foreignId),
      rest: {
        method: 'DELETE',
        url: '/users/:userId/foreign-ids/:foreignId',
        summary:
          "Remove a user's activities carrying a foreign id everywhere they were fanned out.",
        response: {
          type: 'object',
          required: ['removed'],
          properties: { removed: { type: 'integer' }, fanoutTasks: { type: 'integer' } },
        },
        errors: [400, 401, 403, 404],
      },
    }),
    userOperation({
      method: 'follow',
      access: 'write',
      summary: "Follow a user: their recent activities are copied into the follower's feeds.",
      id: ['targetId', schemas.userIdParam],
      run: (feeds, userId, targetId) => feeds.follow(userId, targetId),
      rest: {
        method: 'PUT',
        url: '/users/:userId/following/:targetId',
        summary: "Follow a user (their recent activities are copied into the follower's feeds).",
        response: followResponse,
        errors: [400, 401, 403],
      },
    }),
    userOperation({
      method: 'unfollow',
      access: 'write',
      summary: "Unfollow a user: their activities leave the follower's feeds.",
      id: ['targetId', schemas.userIdParam],
      run: (feeds, userId, targetId) => feeds.unfollow(userId, targetId),
      rest: {
        method: 'DELETE',
        url: '/users/:userId/following/:targetId',
        summary: "Unfollow a user (their activities leave the follower's feeds).",
        response: followResponse,
        errors: [400, 401, 403],
      },
    }),
    userOperation({
      method: 'followers',
      access: 'read',
      summary: 'The users following a user.',
      run: async (feeds, userId) => ({ userIds: await feeds.followers(userId) }),
      rest: {
        method: 'GET',
        url: '/users/:userId/followers',
        summary: 'The users following a user.',
        response: userIds,
        errors: [400, 401],
      },
    }),
    userOperation({
      method: 'following',
      access: 'read',
      summary: 'The users a user follows.',
      run: async (feeds, userId) => ({ userIds: await feeds.following(userId) }),
      rest: {
        method: 'GET',
        url: '/users/:userId/following',
        summary: 'The users a user follows.',
        response: userIds,
        errors: [400, 401],
      },
    }),
  ];
}
