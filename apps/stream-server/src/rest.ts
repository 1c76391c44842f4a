import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Backend, Tenant } from './backend.js';
import type { ServerConfig } from './config.js';
import { ApiError } from './errors.js';
import { pathParamSchemas } from './operation-table.js';
import type { Operation, Operations } from './operations.js';
import type { JsonSchema, Schemas } from './schemas.js';

export function tenantOf(request: FastifyRequest): Tenant {
  if (!request.tenant) throw new ApiError(401, 'MISSING_API_KEY', 'this route needs an API key');
  return request.tenant;
}

export const security: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }];

/** The names of a Fastify path's parameters: `/users/:userId/following/:targetId` → userId, targetId. */
function pathNames(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!);
}

/**
 * The params of an operation from a request: the query string (only when the route declares
 * one), the body (one param or its fields), and last the path parameters, which win.
 */
function paramsOf(operation: Operation, request: FastifyRequest): Record<string, unknown> {
  const { body, query } = operation.rest;
  const fromBody =
    body === undefined
      ? {}
      : 'param' in body
        ? { [body.param]: request.body }
        : ((request.body ?? {}) as Record<string, unknown>);
  return {
    ...(query ? (request.query as Record<string, unknown>) : {}),
    ...fromBody,
    ...(request.params as Record<string, unknown>),
  };
}

/** Registers the REST route of every operation of the table, and GET /feeds. */
export function registerRestRoutes(
  app: FastifyInstance,
  deps: { operations: Operations; schemas: Schemas; config: ServerConfig; backend: Backend },
): void {
  const { operations, schemas, config, backend } = deps;
  const errors = (...codes: number[]) =>
    Object.fromEntries(codes.map((code) => [code, schemas.error]));
  const pathSchemas = pathParamSchemas(schemas);

  for (const operation of operations.list) {
    const route = operation.rest;
    const names = pathNames(route.url);
    const params: JsonSchema | undefined =
      names.length === 0
        ? undefined
        : {
            type: 'object',
            required: names,
            properties: Object.fromEntries(names.map((name) => [name, pathSchemas[name]])),
          };
    const body = route.body && ('param' in route.body ? route.body.schema : route.body.fields);
    const status = route.status ?? 200;
    app.route({
      method: route.method,
      url: route.url,
      config: { access: operation.access },
      schema: {
        tags: [route.tag],
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        security,
        ...(params ? { params } : {}),
        ...(route.query ? { querystring: route.query } : {}),
        ...(body ? { body } : {}),
        response: {
          [status]: route.response,
          ...errors(...route.errors),
          ...route.otherResponses,
        },
      },
      handler: async (request, reply) => {
        const tenant = tenantOf(request);
        const input = paramsOf(operation, request);
        if (route.json) {
          return reply
            .type('application/json; charset=utf-8')
            .send(await route.json(tenant, input));
        }
        const result = await operation.run(tenant, input);
        const retryAfter = route.partial?.(result);
        if (retryAfter !== undefined)
          return reply.status(206).header('Retry-After', String(retryAfter)).send(result);
        return reply.status(status).send(result);
      },
    });
  }

  // Not an operation: the configuration itself, for clients that discover feeds and verbs.
  if (config.feeds.length > 0) {
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
  }
}
