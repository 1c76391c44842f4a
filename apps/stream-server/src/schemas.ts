import { MAX_SERIALIZATION_ID_LENGTH } from '@sf/activity';
import type { ServerConfig } from './config.js';
import type { Verbs } from './feeds/activity-json.js';

/** A JSON Schema (draft 7 as Ajv takes it, also valid OpenAPI 3.1). */
export type JsonSchema = Record<string, unknown>;

export const USER_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
/** Serialization ids: up to 46 digits ('actor'-scheme ids end with the actor id). */
export const ACTIVITY_ID_PATTERN = `^[0-9]{1,${MAX_SERIALIZATION_ID_LENGTH}}$`;
const MAX_OBJECT_ID = 9_999_999_999;

/** Validation error as Ajv reports it (the fields this module reads). */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** One readable sentence per problem: `body has unknown property "foo"`, `querystring/start must be >= 0`. */
export function describeIssues(issues: readonly ValidationIssue[], dataVar: string): string {
  return issues
    .map((issue) => {
      const where = `${dataVar}${issue.instancePath}`;
      if (issue.keyword === 'additionalProperties')
        return `${where} has unknown property ${JSON.stringify(issue.params.additionalProperty)}`;
      if (issue.keyword === 'enum') {
        const allowed = (issue.params.allowedValues as unknown[])
          .map((v) => JSON.stringify(v))
          .join(', ');
        return `${where} must be one of ${allowed}`;
      }
      if (issue.keyword === 'required')
        return `${where} is missing required property ${JSON.stringify(issue.params.missingProperty)}`;
      return `${where} ${issue.message ?? 'is invalid'}`;
    })
    .join('; ');
}

/** The schemas of the API, built from the config (indexed keys, feed names, verbs, limits). */
export function buildSchemas(config: ServerConfig, verbs: Verbs) {
  const { limits } = config;
  const scalar = { type: ['string', 'number', 'boolean'], maxLength: 256 };

  const itemValue: JsonSchema = {
    type: ['string', 'number', 'boolean', 'array'],
    maxLength: 256,
    items: scalar,
    maxItems: 32,
    description:
      'An indexed value: a string, number or boolean, or an array of them (the item is indexed under each).',
  };

  /** Any JSON object; indexed keys must hold indexable values. */
  const item: JsonSchema = {
    type: 'object',
    description: `Any JSON object. Indexed keys (${config.itemKeys.join(', ') || 'none'}) must hold a string, number or boolean (or an array of them).`,
    properties: Object.fromEntries(config.itemKeys.map((key) => [key, itemValue])),
    additionalProperties: true,
    examples: [{ kind: 'friend', user: 291, friend: 23 }],
  };

  const paging = {
    start: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'Index of the first item, newest first (inclusive).',
    },
    end: {
      type: 'integer',
      minimum: 0,
      default: 20,
      description: `Index after the last item (exclusive); end - start <= ${limits.pageSize}.`,
    },
  };

  /** GET /items: every value is a string from the query string; repeated keys mean "any of". */
  const itemsQuery: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...paging,
      ...Object.fromEntries(
        config.itemKeys.map((key) => [
          key,
          {
            type: 'array',
            items: { type: 'string', maxLength: 256 },
            maxItems: limits.filterValues,
            description: `Items whose ${key} is any of these values (repeat the parameter: ${key}=a&${key}=b).`,
          },
        ]),
      ),
    },
  };

  /** RPC items: AwesomeStream's keyword arguments, e.g. { "user": [23, 291], "start": 1, "end": 3 }. */
  const itemsParams: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...paging,
      ...Object.fromEntries(
        config.itemKeys.map((key) => [key, { ...itemValue, maxItems: limits.filterValues }]),
      ),
    },
  };

  const extraContext: JsonSchema = {
    type: 'object',
    maxProperties: 64,
    description: 'Free-form JSON data carried with the activity.',
  };

  const activity: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['verb', 'object'],
    properties: {
      actor: {
        type: ['integer', 'string'],
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        minLength: 1,
        maxLength: 256,
        description: 'Who did it (defaults to the publishing user): an integer or a string id.',
      },
      verb: { enum: verbs.names(), description: 'A configured verb, by infinitive or id.' },
      object: {
        type: ['integer', 'string'],
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        minLength: 1,
        maxLength: 256,
        description: `An integer (up to ${MAX_OBJECT_ID} as is, larger ones hashed into the id) or a string id (a UUID, a slug).`,
      },
      target: {
        type: ['integer', 'string', 'null'],
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        minLength: 1,
        maxLength: 256,
      },
      foreignId: {
        type: 'string',
        minLength: 1,
        maxLength: 256,
        description:
          "Your own id of the activity (GetStream's foreign_id, e.g. 'pin:123'): unique with its time; publishing it again is a no-op, and it can be read and removed by it.",
      },
      time: {
        type: ['string', 'integer'],
        minimum: 0,
        maxLength: 40,
        description: 'ISO 8601 date-time or epoch milliseconds (default now).',
      },
      extraContext,
    },
    examples: [
      { verb: verbs.list()[0]?.infinitive ?? 'add', object: 42, extraContext: { title: 'hello' } },
    ],
  };

  const activityOut: JsonSchema = {
    type: 'object',
    required: ['id', 'actor', 'verb', 'object', 'target', 'time', 'extraContext'],
    properties: {
      id: { type: 'string', description: 'Serialization id (time, object, verb, actor).' },
      actor: { type: ['integer', 'string'] },
      verb: { type: 'string' },
      object: { type: ['integer', 'string'] },
      target: { type: ['integer', 'string', 'null'] },
      foreignId: { type: ['string', 'null'] },
      time: { type: 'string', format: 'date-time' },
      extraContext: { type: 'object', additionalProperties: true },
    },
  };

  const aggregatedOut: JsonSchema = {
    type: 'object',
    required: ['id', 'group', 'activities'],
    properties: {
      id: { type: 'string' },
      group: { type: 'string' },
      verbs: { type: 'array', items: { type: 'string' } },
      activityCount: { type: 'integer' },
      actorCount: { type: 'integer' },
      actorIds: { type: 'array', items: { type: ['integer', 'string'] } },
      createdAt: { type: ['string', 'null'] },
      updatedAt: { type: ['string', 'null'] },
      activities: { type: 'array', items: activityOut },
      seen: { type: 'boolean' },
      read: { type: 'boolean' },
    },
  };

  const feedNames = config.feeds.map((feed) => feed.name);
  const feedName: JsonSchema = {
    type: 'string',
    enum: feedNames.length > 0 ? feedNames : ['none'],
    description: 'A feed configured on the server.',
  };
  const userIdPath: JsonSchema = {
    type: 'string',
    pattern: USER_ID_PATTERN,
    description: 'Letters, digits, _ and - (1 to 64).',
  };
  const userIdParam: JsonSchema = {
    type: ['string', 'integer'],
    pattern: USER_ID_PATTERN,
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
  };
  const activityId: JsonSchema = {
    type: 'string',
    pattern: ACTIVITY_ID_PATTERN,
    description: 'An activity serialization id.',
  };
  const foreignId: JsonSchema = {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    description: "An activity's foreign id (e.g. pin:123).",
  };
  const idBound = { type: 'string', pattern: ACTIVITY_ID_PATTERN };

  const feedPage = {
    offset: { type: 'integer', minimum: 0, maximum: 100_000, default: 0 },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: limits.feedPage,
      default: Math.min(25, limits.feedPage),
    },
    idLt: { ...idBound, description: 'Only activities with a smaller id (older).' },
    idLte: idBound,
    idGt: { ...idBound, description: 'Only activities with a greater id (newer).' },
    idGte: idBound,
    ranking: {
      type: 'string',
      pattern: '^[A-Za-z][A-Za-z0-9_-]{0,47}$',
      description: 'A ranking of the feed: the page is ranked, paged by cursor (not offset).',
    },
    cursor: {
      type: 'string',
      pattern: '^[A-Za-z0-9_-]+$',
      maxLength: 16384,
      description: 'nextCursor of the previous ranked page.',
    },
    verb: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description:
        'Only activities of this verb (infinitive or id), on a feed whose config declares index.verb.',
    },
    // The extraContext fields some feed declares in index.field: `?board=b12`.
    ...Object.fromEntries(
      [...new Set(config.feeds.flatMap((feed) => feed.index?.field ?? []))].map((field) => [
        field,
        {
          type: 'string',
          minLength: 1,
          maxLength: 256,
          description: `Only activities whose extraContext.${field} is this value (feeds declaring index.field "${field}").`,
        },
      ]),
    ),
  };

  const feedCountBy = {
    by: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      default: 'verb',
      description: '`verb`, or the extraContext field the feed declares in index.field.',
    },
  };

  const feedCounts: JsonSchema = {
    type: 'object',
    required: ['feed', 'userId', 'by', 'counts'],
    properties: {
      feed: { type: 'string' },
      userId: { type: 'string' },
      by: { type: 'string' },
      counts: {
        type: 'object',
        additionalProperties: { type: 'integer' },
        description: 'Entries per verb infinitive (or field value); values with none are absent.',
      },
    },
  };

  const mark = {
    seen: { type: 'boolean', default: true },
    read: { type: 'boolean', default: false },
    ids: {
      type: 'array',
      items: activityId,
      maxItems: 100,
      description: 'Aggregated activity ids; all when absent.',
    },
  };

  const counts: JsonSchema = {
    type: 'object',
    required: ['unseen', 'unread'],
    properties: { unseen: { type: 'integer' }, unread: { type: 'integer' } },
  };

  const feedRead: JsonSchema = {
    type: 'object',
    required: ['feed', 'type', 'userId', 'offset', 'limit', 'items'],
    properties: {
      feed: { type: 'string' },
      type: { type: 'string', enum: ['flat', 'aggregated', 'notification'] },
      userId: { type: 'string' },
      offset: { type: 'integer' },
      limit: { type: 'integer' },
      items: {
        type: 'array',
        items: { anyOf: [aggregatedOut, activityOut] },
        description: 'Activities (flat feeds) or aggregated activities, newest first.',
      },
      unseen: { type: 'integer' },
      unread: { type: 'integer' },
      ranking: { type: 'string' },
      scores: { type: 'array', items: { type: 'number' } },
      nextCursor: {
        type: ['string', 'null'],
        description: 'Ranked reads: the cursor of the next page, null after the last.',
      },
      rebuilding: {
        type: 'boolean',
        description:
          "Present (true) while the reader's feeds are rebuilt after a long inactivity: the page may be incomplete (REST: 206 with Retry-After).",
      },
    },
  };

  const error: JsonSchema = {
    type: 'object',
    required: ['statusCode', 'error', 'code', 'message'],
    properties: {
      statusCode: { type: 'integer' },
      error: { type: 'string' },
      code: { type: 'string' },
      message: { type: 'string' },
    },
  };

  return {
    item,
    itemsQuery,
    itemsParams,
    activity,
    extraContext,
    activityOut,
    aggregatedOut,
    feedName,
    userIdPath,
    userIdParam,
    activityId,
    foreignId,
    feedPage,
    feedCountBy,
    feedCounts,
    mark,
    counts,
    feedRead,
    error,
  };
}

export type Schemas = ReturnType<typeof buildSchemas>;
