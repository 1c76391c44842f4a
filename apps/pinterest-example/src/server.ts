import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import {
  capConnectionsPerClient,
  htmlClientErrorHandler,
  httpLimitsFromEnv,
  serverOptions,
} from './http-edge.js';
import type { HttpLimits } from './http-edge.js';
import { originsFromEnv } from './origin.js';
import { checkedStore } from './records.js';
import { registerActingHooks } from './routes/acting.js';
import { registerAssetRoutes } from './routes/assets.js';
import { createRouteContext } from './routes/context.js';
import { errorResponder, registerErrorHandlers } from './routes/errors.js';
import { registerFeedRoutes } from './routes/feeds.js';
import { registerLiveRoutes } from './routes/live.js';
import { registerNotificationRoutes } from './routes/notifications.js';
import { PAGE_HEADERS } from './routes/page.js';
import { registerPeopleRoutes } from './routes/people.js';
import { registerPinRoutes } from './routes/pins.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerStatsRoutes } from './routes/stats.js';
import type { Runtime } from './runtime.js';
import type { User } from './store.js';
import { HttpError } from './validation.js';
import * as views from './views/index.js';

export { USER_COOKIE } from './routes/session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The acting user, from the signed cookie (null when none or invalid). */
    user: User | null;
  }
  interface FastifyContextConfig {
    /** Static files and images: no user lookup. */
    asset?: boolean;
  }
}

export interface AppOptions {
  runtime: Runtime;
  /** Signs the acting-user cookie (default: SF_COOKIE_SECRET, else random per process). */
  cookieSecret?: string;
  logger?: FastifyServerOptions['logger'];
  /** Close the runtime when the app closes (default false: the caller owns it). */
  closeRuntime?: boolean;
  /** Pins per page of the home and profile feeds (default 24). */
  pageSize?: number;
  /** Groups per page of the grouped feed (default 10). */
  groupPageSize?: number;
  /** Timeouts and the per-client connection bound (default: the SF_*_TIMEOUT_MS variables, see the README). */
  http?: Partial<HttpLimits>;
  /**
   * The origins (scheme, host, port) form posts may come from (default: SF_PUBLIC_ORIGIN, else the
   * origin each request was served on).
   */
  origins?: readonly string[];
}

/**
 * The web app: pages, forms, fragments for "load more", server-sent events for the unseen badge,
 * generated images, and a stats page. Does not listen: call `listen` (main.ts) or `inject` (tests).
 * The routes are in src/routes/, one module per area; this assembles them.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { runtime } = options;
  const secret =
    options.cookieSecret ?? process.env.SF_COOKIE_SECRET ?? randomBytes(32).toString('hex');
  const limits = httpLimitsFromEnv(process.env, options.http);
  const origins = options.origins ?? originsFromEnv(process.env);
  // Every user, board and pin a page shows is checked: a corrupt stored record is skipped,
  // logged and counted (the stats page), never a 500 for everyone who would see it.
  const store = checkedStore(runtime.store, (record) => {
    app.log.warn(
      { record },
      `corrupt ${record.kind} record ${record.id} skipped: ${record.problems.join('; ')}`,
    );
    runtime.metrics.onCorruptRecord(record.kind);
  });
  const ctx = createRouteContext({
    runtime,
    store,
    pageSize: options.pageSize ?? 24,
    groupPageSize: options.groupPageSize ?? 10,
  });
  const respondWithError = errorResponder(ctx);

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 64 * 1024,
    // Ids in paths are validated by the routes; keep Fastify's own limits tight too.
    routerOptions: { maxParamLength: 100, ignoreTrailingSlash: true },
    // Slow clients: header, request (body) and idle timeouts (http-edge.ts).
    ...serverOptions(limits),
    // A bad URL (/u/%zz) or an overlong path part gets the app's error page, not Fastify's JSON.
    frameworkErrors: (error, request, reply) => {
      respondWithError(error, request, reply).catch((failure: unknown) => {
        request.log.error({ err: failure }, 'error page failed');
        reply.raw.destroy();
      });
    },
    // So do requests refused before routing: a timeout, oversized headers, unparsable HTTP.
    clientErrorHandler: htmlClientErrorHandler((status, message) => ({
      body: views.errorPage(
        { user: null, users: [], unseen: 0, path: '/', mode: runtime.describe },
        status,
        new HttpError(status, '').title,
        message,
      ).value,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        ...PAGE_HEADERS,
      },
    })),
  });
  capConnectionsPerClient(app.server, limits.maxConnectionsPerClient, (address, open) =>
    app.log.warn(
      `refusing connections from ${address}: it has ${open} open (SF_MAX_CONNECTIONS_PER_CLIENT)`,
    ),
  );
  await app.register(fastifyCookie, { secret });
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  // Forms come URL-encoded (or as JSON from scripts); anything else is a 415.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('user', null);

  registerActingHooks(app, ctx, origins);
  registerErrorHandlers(app, ctx, respondWithError);
  registerAssetRoutes(app, ctx);
  registerSessionRoutes(app, ctx);
  registerFeedRoutes(app, ctx);
  registerNotificationRoutes(app, ctx);
  const unsubscribe = await registerLiveRoutes(app, ctx);
  app.addHook('onClose', async () => {
    await unsubscribe();
    if (options.closeRuntime) await runtime.close();
  });
  registerPeopleRoutes(app, ctx);
  registerPinRoutes(app, ctx);
  registerStatsRoutes(app, ctx);
  return app;
}
