import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { Authenticator } from './auth.js';
import type { Principal } from './auth.js';
import { Backend } from './backend.js';
import { limitConnectionsPerClient, timeoutOptions } from './connections.js';
import type { Tenant } from './backend.js';
import type { Access, ServerConfig } from './config.js';
import { toErrorBody } from './errors.js';
import type { RedisClient } from './items/redis-store.js';
import { Operations } from './operations.js';
import { registerRestRoutes, security, tenantOf } from './rest.js';
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
    onPostgresError: (error) => app.log.error({ err: error }, 'PostgreSQL connection error'),
  });
  app.addHook('onClose', async () => backend.close());
  try {
    await backend.start();
  } catch (error) {
    await backend.close();
    throw error;
  }
  const auth = new Authenticator(config);
  const schemas = buildSchemas(config, backend.verbs);
  const operations = new Operations(backend, schemas, (item) =>
    app.log.warn(
      { tenant: item.tenant, position: item.position, stored: item.text.slice(0, 200) },
      'skipped a stored item that is not a JSON object',
    ),
  );

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

  registerRestRoutes(app, { operations, schemas, config, backend });

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
