import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { Authenticator } from './auth.js';
import type { Principal } from './auth.js';
import { Backend } from './backend.js';
import { limitConnectionsPerClient, timeoutOptions } from './connections.js';
import type { Tenant } from './backend.js';
import type { Access, ServerConfig } from './config.js';
import { ApiError, toErrorBody } from './errors.js';
import type { RedisClient } from './items/redis-store.js';
import { Operations } from './operations.js';
import type { ItemsParams } from './operations.js';
import { checkRequestJson } from './request-json.js';
import { runRpc } from './rpc.js';
import type { Validator } from './rpc.js';
import { buildSchemas, describeIssues } from './schemas.js';
import type { JsonSchema, ValidationIssue } from './schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: an API key with this access; absent for public routes. */
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
    tenant: Tenant | null;
  }
}

export interface BuildAppOptions {
  config: ServerConfig;
  /** Use this Redis client instead of connecting (the caller closes it). */
  redis?: RedisClient;
  logger?: FastifyServerOptions['logger'];
}

export const VERSION = '0.1.0';

/**
 * Query strings carry strings only: turn `start=1` into 1 and a single `user=23` into ["23"]
 * as the route's schema says, before validation (which coerces nothing, so JSON bodies with
 * wrong types are rejected rather than converted).
 */
function coerceQuery(schema: JsonSchema | undefined, query: Record<string, unknown>): void {
  const properties = (schema?.properties ?? {}) as Record<string, { type?: unknown }>;
  for (const [key, value] of Object.entries(query)) {
    const type = Object.hasOwn(properties, key) ? properties[key]!.type : undefined;
    if (type === 'array' && !Array.isArray(value)) query[key] = [value];
    else if (type === 'integer' && typeof value === 'string' && /^-?[0-9]{1,15}$/.test(value))
      query[key] = Number(value);
    else if (type === 'boolean' && (value === 'true' || value === 'false'))
      query[key] = value === 'true';
  }
}

function tenantOf(request: FastifyRequest): Tenant {
  if (!request.tenant) throw new ApiError(401, 'MISSING_API_KEY', 'this route needs an API key');
  return request.tenant;
}

/** Builds the server (not listening). `app.close()` closes the storage too. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: config.limits.bodyBytes,
    ...timeoutOptions(config.limits),
    // Prototype keys are refused by checkRequestJson (the same check as JSON-RPC params).
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    return503OnClosing: true,
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: true,
        allowUnionTypes: true,
        allErrors: false,
      },
    },
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(describeIssues(errors as ValidationIssue[], dataVar)),
  });
  limitConnectionsPerClient(app.server, config.limits.connectionsPerClient);
  const backend = new Backend({
    config,
    redis: options.redis,
    onFanoutError: (error) => app.log.error({ err: error }, 'fanout task failed'),
  });
  app.addHook('onClose', async () => backend.close());
  const auth = new Authenticator(config);
  const schemas = buildSchemas(config, backend.verbs);
  const operations = new Operations(backend, schemas, (item) =>
    app.log.warn(
      { tenant: item.tenant, position: item.position, stored: item.text.slice(0, 200) },
      'skipped a stored item that is not a JSON object',
    ),
  );
  const op = (method: string) => operations.get(method);
  const security: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];
  const errors = (...codes: number[]) =>
    Object.fromEntries(codes.map((code) => [code, schemas.error]));
  const hasFeeds = config.feeds.length > 0;

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Stream server',
        version: VERSION,
        description:
          "AwesomeStream's model on Stream Framework for TypeScript: insert JSON items and read them back newest first, filtered by indexed keys; and the feed framework (flat, aggregated and notification feeds, follows, fanout). Every route but /health and /openapi.json needs an API key; the key decides the tenant.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      tags: [
        { name: 'items', description: 'AwesomeStream items' },
        { name: 'feeds', description: 'Feeds of users' },
        { name: 'users', description: 'Publishing and following (fanout)' },
        { name: 'rpc', description: 'JSON-RPC 2.0' },
        { name: 'meta', description: 'Health and this document' },
      ],
    },
    transform: ({ schema, url }) => {
      if (url !== '/rpc') return { schema, url };
      const request = {
        type: 'object',
        required: ['jsonrpc', 'method'],
        properties: {
          jsonrpc: { type: 'string', enum: ['2.0'] },
          method: { type: 'string', enum: operations.list.map((o) => o.method) },
          params: { type: ['object', 'array'] },
          id: { type: ['string', 'integer', 'null'] },
        },
      };
      return {
        schema: {
          ...schema,
          body: {
            oneOf: [
              request,
              { type: 'array', items: request, minItems: 1, maxItems: config.limits.rpcBatch },
            ],
          },
        },
        url,
      };
    },
  });

  // JSON only (POST /rpc has its own parser): a text/plain body is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', null);
  app.decorateRequest('tenant', null);

  // Authentication before the body is read: requests without a valid key change nothing.
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access) return;
    const principal = auth.authenticate(request, access);
    request.principal = principal;
    request.tenant = backend.tenant(principal.tenant);
  });
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema?.querystring as JsonSchema | undefined;
    if (schema && request.query && typeof request.query === 'object')
      coerceQuery(schema, request.query as Record<string, unknown>);
    // JSON bodies (not the text of /rpc, whose params get the same check per request).
    if (typeof request.body === 'object' && request.body !== null)
      checkRequestJson(request.body, config.limits.jsonDepth, 'body');
  });

  app.setErrorHandler((error, request, reply) => {
    const body = toErrorBody(error);
    if (body.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      statusCode: 404,
      error: 'Not Found',
      code: 'ROUTE_NOT_FOUND',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  // --- meta
  app.get(
    '/health',
    { schema: { tags: ['meta'], summary: 'Liveness and storage check (no API key).' } },
    async (_request, reply) => {
      try {
        await backend.ping();
        return { status: 'ok', storage: backend.storageName, version: VERSION };
      } catch {
        return reply
          .status(503)
          .send({ status: 'unavailable', storage: backend.storageName, version: VERSION });
      }
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => {
    const document = app.swagger() as unknown as Record<string, unknown>;
    return {
      ...document,
      'x-jsonrpc-methods': Object.fromEntries(
        operations.list.map((o) => [
          o.method,
          { summary: o.summary, access: o.access, positional: o.positional, params: o.params },
        ]),
      ),
    };
  });

  // --- items
  app.post(
    '/items',
    {
      config: { access: 'write' },
      schema: {
        tags: ['items'],
        summary: 'Insert an item (any JSON object).',
        security,
        body: schemas.item,
        response: {
          201: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
          ...errors(400, 401, 403, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const id = await operations.insert(
        tenantOf(request),
        request.body as Record<string, unknown>,
      );
      return reply.status(201).send({ id });
    },
  );
  app.get(
    '/items',
    {
      config: { access: 'read' },
      schema: {
        tags: ['items'],
        summary: 'Items newest first: items[start:end], filtered by indexed keys.',
        description:
          'Each indexed key may be given once (equality) or repeated (any of the values); several keys must all match. Values compare as text: user=23 matches the number 23.',
        security,
        querystring: schemas.itemsQuery,
        response: {
          200: {
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
          ...errors(400, 401),
        },
      },
    },
    async (request, reply) => {
      const page = await operations.items(tenantOf(request), request.query as ItemsParams);
      // The stored JSON texts (each checked to be a JSON object), not stringified again.
      const skipped = page.skipped > 0 ? `,"skipped":${page.skipped}` : '';
      return reply
        .type('application/json; charset=utf-8')
        .send(`{"items":[${page.texts.join(',')}]${skipped}}`);
    },
  );

  // --- feeds
  if (hasFeeds) {
    const feedPath = {
      type: 'object',
      required: ['feed', 'userId'],
      properties: { feed: schemas.feedName, userId: schemas.userIdPath },
    };
    const activityPath = {
      ...feedPath,
      required: ['feed', 'userId', 'activityId'],
      properties: { ...feedPath.properties, activityId: schemas.activityId },
    };
    const userPath = {
      type: 'object',
      required: ['userId'],
      properties: { userId: schemas.userIdPath },
    };
    const added = {
      type: 'object',
      required: ['id', 'activity'],
      properties: {
        id: { type: 'string' },
        activity: schemas.activityOut,
        fanoutTasks: { type: 'integer' },
      },
    };
    const run =
      (method: string) =>
      async (request: FastifyRequest, extra: Record<string, unknown> = {}) =>
        op(method).run(tenantOf(request), {
          ...(request.params as object),
          ...(request.query as object),
          ...extra,
        });

    app.get(
      '/feeds',
      {
        config: { access: 'read' },
        schema: { tags: ['feeds'], summary: 'The configured feeds.', security },
      },
      async () => ({
        feeds: config.feeds.map((feed) => ({
          name: feed.name,
          type: feed.type,
          maxLength: feed.maxLength,
          role: feed.role ?? null,
          fanout: feed.fanout ?? false,
        })),
        verbs: backend.verbs
          .list()
          .map((verb) => ({ id: verb.id, infinitive: verb.infinitive, pastTense: verb.pastTense })),
      }),
    );
    app.get(
      '/feeds/:feed/:userId',
      {
        config: { access: 'read' },
        schema: {
          tags: ['feeds'],
          summary:
            "A page of a user's feed, newest first (notification feeds add unseen/unread counts).",
          security,
          params: feedPath,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: schemas.feedPage,
          },
          response: { 200: schemas.feedRead, ...errors(400, 401) },
        },
      },
      async (request) => run('readFeed')(request),
    );
    app.post(
      '/feeds/:feed/:userId/activities',
      {
        config: { access: 'write' },
        schema: {
          tags: ['feeds'],
          summary: "Add an activity to one user's feed (no fanout).",
          security,
          params: feedPath,
          body: schemas.activity,
          response: { 201: added, ...errors(400, 401, 403) },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await run('addToFeed')(request, { activity: request.body })),
    );
    app.delete(
      '/feeds/:feed/:userId/activities/:activityId',
      {
        config: { access: 'write' },
        schema: {
          tags: ['feeds'],
          summary: "Remove an activity from one user's feed.",
          security,
          params: activityPath,
          response: {
            200: {
              type: 'object',
              required: ['removed'],
              properties: { removed: { type: 'integer' } },
            },
            ...errors(400, 401, 403),
          },
        },
      },
      async (request) => run('removeFromFeed')(request),
    );
    app.post(
      '/feeds/:feed/:userId/mark',
      {
        config: { access: 'write' },
        schema: {
          tags: ['feeds'],
          summary:
            'Mark notifications seen and/or read (all, or some ids); returns the new counts.',
          security,
          params: feedPath,
          body: { type: 'object', additionalProperties: false, properties: schemas.mark },
          response: { 200: schemas.counts, ...errors(400, 401, 403) },
        },
      },
      async (request) => run('markFeed')(request, (request.body ?? {}) as Record<string, unknown>),
    );

    // --- users: publishing and following
    app.post(
      '/users/:userId/activities',
      {
        config: { access: 'write' },
        schema: {
          tags: ['users'],
          summary: "Publish a user's activity to their user feed and their followers' feeds.",
          security,
          params: userPath,
          body: schemas.activity,
          response: {
            201: added,
            ...errors(400, 401, 403),
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
      async (request, reply) =>
        reply.status(201).send(await run('publish')(request, { activity: request.body })),
    );
    app.delete(
      '/users/:userId/activities/:activityId',
      {
        config: { access: 'write' },
        schema: {
          tags: ['users'],
          summary: "Remove a published activity from the user's feed and their followers' feeds.",
          security,
          params: {
            ...userPath,
            required: ['userId', 'activityId'],
            properties: { ...userPath.properties, activityId: schemas.activityId },
          },
          response: {
            200: {
              type: 'object',
              required: ['removed'],
              properties: { removed: { type: 'boolean' }, fanoutTasks: { type: 'integer' } },
            },
            ...errors(400, 401, 403, 404),
          },
        },
      },
      async (request) => run('unpublish')(request),
    );
    const followResponse = {
      type: 'object',
      required: ['following', 'changed'],
      properties: { following: { type: 'boolean' }, changed: { type: 'boolean' } },
    };
    const followPath = {
      ...userPath,
      required: ['userId', 'targetId'],
      properties: { ...userPath.properties, targetId: schemas.userIdPath },
    };
    app.put(
      '/users/:userId/following/:targetId',
      {
        config: { access: 'write' },
        schema: {
          tags: ['users'],
          summary: "Follow a user (their recent activities are copied into the follower's feeds).",
          security,
          params: followPath,
          response: { 200: followResponse, ...errors(400, 401, 403) },
        },
      },
      async (request) => run('follow')(request),
    );
    app.delete(
      '/users/:userId/following/:targetId',
      {
        config: { access: 'write' },
        schema: {
          tags: ['users'],
          summary: "Unfollow a user (their activities leave the follower's feeds).",
          security,
          params: followPath,
          response: { 200: followResponse, ...errors(400, 401, 403) },
        },
      },
      async (request) => run('unfollow')(request),
    );
    const userIds = {
      type: 'object',
      required: ['userIds'],
      properties: { userIds: { type: 'array', items: { type: 'string' } } },
    };
    for (const relation of ['following', 'followers'] as const) {
      app.get(
        `/users/:userId/${relation}`,
        {
          config: { access: 'read' },
          schema: {
            tags: ['users'],
            summary:
              relation === 'following'
                ? 'The users a user follows.'
                : 'The users following a user.',
            security,
            params: userPath,
            response: { 200: userIds, ...errors(400, 401) },
          },
        },
        async (request) => run(relation)(request),
      );
    }
  }

  // --- JSON-RPC: the body is read as text so that a parse error is a JSON-RPC error, not a 400.
  await app.register(async (rpc) => {
    rpc.removeAllContentTypeParsers();
    rpc.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    rpc.post(
      '/rpc',
      {
        config: { access: 'read' },
        bodyLimit: config.limits.rpcBodyBytes,
        schema: {
          tags: ['rpc'],
          summary: 'JSON-RPC 2.0, single or batch.',
          description: `Methods: ${operations.list.map((o) => `${o.method} (${o.access})`).join(', ')}. Their params are in x-jsonrpc-methods. Errors: -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid params, -32603 internal error, -32001 unauthorized, -32003 forbidden (read-only key), -32004 not found, -32013 too large.`,
          security,
        },
      },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const text = await runRpc(typeof request.body === 'string' ? request.body : '', {
          operations,
          principal: request.principal!,
          tenant: tenantOf(request),
          maxBatch: config.limits.rpcBatch,
          maxDepth: config.limits.jsonDepth,
          compile: (schema): Validator => request.compileValidationSchema(schema),
          onError: (error) => request.log.error({ err: error }, 'rpc method failed'),
        });
        if (text === null) return reply.status(204).send();
        return reply.type('application/json; charset=utf-8').send(text);
      },
    );
  });

  return app;
}
