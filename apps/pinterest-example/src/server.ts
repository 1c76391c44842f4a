import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { Activity, NotificationActivity } from '@sf/activity';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import * as actions from './actions.js';
import {
  capConnectionsPerClient,
  htmlClientErrorHandler,
  httpLimitsFromEnv,
  serverOptions,
} from './http-edge.js';
import type { HttpLimits } from './http-edge.js';
import { crossSiteRefusal, originsFromEnv } from './origin.js';
import { HOME_MAX_LENGTH, Love } from './feeds.js';
import type { SafeHtml } from './html.js';
import { avatarSvg, pinSvg } from './images.js';
import type { Runtime } from './runtime.js';
import { checkedStore } from './records.js';
import { PATTERNS } from './store.js';
import type { Board, Pattern, Pin, User } from './store.js';
import {
  HttpError,
  badRequest,
  forbidden,
  formFields,
  notFound,
  parseActivityId,
  parseChoice,
  parseCursor,
  parseId,
  parseInteger,
  parseText,
  safeNext,
} from './validation.js';
import * as views from './views/index.js';
import type { GroupView, NotificationView, PageContext, PinView } from './views/index.js';

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

export const USER_COOKIE = 'sf_user';
const STATIC_DIR = joinPath(dirname(fileURLToPath(import.meta.url)), '..', 'static');

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

function loadStatic(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const types: Record<string, string> = {
    'app.css': 'text/css; charset=utf-8',
    'app.js': 'text/javascript; charset=utf-8',
    'favicon.svg': 'image/svg+xml',
  };
  for (const [name, type] of Object.entries(types)) {
    const body = readFileSync(joinPath(STATIC_DIR, name));
    files.set(name, {
      body,
      type,
      etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`,
    });
  }
  return files;
}

const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/** The headers of an HTML page (also written by hand for errors below routing). */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Friendly messages for Fastify's own client errors. */
function clientErrorMessage(error: {
  code?: string;
  message: string;
  statusCode?: number;
}): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Forms must be sent as application/x-www-form-urlencoded or application/json.';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request said it carries JSON but the body is empty.';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'The request body is not valid JSON.';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The request body could not be read.';
    case 'FST_ERR_BAD_URL':
      return 'The address is not valid: it has a broken percent-encoding (such as %zz).';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'A part of the address is too long.';
    default:
      if (error.statusCode === 400 && /JSON/i.test(error.message))
        return 'The request body is not valid JSON.';
      return error.message;
  }
}

/** Errors of an unreachable backend: the person can retry later. */
function isUnavailable(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  const code = (error as { code?: unknown })?.code;
  return (
    name === 'StorageUnavailableError' ||
    name === 'RedisUnavailableError' ||
    code === 'ECONNREFUSED' ||
    code === 'SF_STORAGE_UNAVAILABLE' ||
    (error instanceof Error &&
      /Connection is closed|ECONNREFUSED|max retries per request/i.test(error.message))
  );
}

/**
 * The web app: pages, forms, fragments for "load more", server-sent events for the unseen badge,
 * generated images, and a stats page. Does not listen: call `listen` (main.ts) or `inject` (tests).
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { runtime } = options;
  const { feeds, manager } = runtime;
  const pageSize = options.pageSize ?? 24;
  const groupPageSize = options.groupPageSize ?? 10;
  const secret =
    options.cookieSecret ?? process.env.SF_COOKIE_SECRET ?? randomBytes(32).toString('hex');
  const staticFiles = loadStatic();
  const limits = httpLimitsFromEnv(process.env, options.http);
  const origins = options.origins ?? originsFromEnv(process.env);

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
  // Every user, board and pin a page shows is checked: a corrupt stored record is skipped,
  // logged and counted (the stats page), never a 500 for everyone who would see it.
  const store = checkedStore(runtime.store, (record) => {
    app.log.warn(
      { record },
      `corrupt ${record.kind} record ${record.id} skipped: ${record.problems.join('; ')}`,
    );
    runtime.metrics.onCorruptRecord(record.kind);
  });
  await app.register(fastifyCookie, { secret });
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  // Forms come URL-encoded (or as JSON from scripts); anything else is a 415.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('user', null);

  // ------------------------------------------------------------------------- who is acting

  let usersCache: { at: number; users: User[] } | undefined;
  async function allUsers(): Promise<User[]> {
    if (!usersCache || Date.now() - usersCache.at > 3000)
      usersCache = { at: Date.now(), users: await store.listUsers() };
    return usersCache.users;
  }

  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.config?.asset) return;
    const raw = request.cookies[USER_COOKIE];
    if (!raw) return;
    const unsigned = request.unsignCookie(raw);
    const value = unsigned.valid ? unsigned.value : null;
    const user = value && /^\d{1,10}$/.test(value) ? await store.getUser(Number(value)) : undefined;
    if (user) request.user = user;
    else reply.clearCookie(USER_COOKIE, { path: '/' });
  });

  // Refuse form posts from other sites and posts that do not say where they come from (origin.ts;
  // the cookie is SameSite=Lax too).
  app.addHook('onRequest', async (request) => {
    const refusal = crossSiteRefusal(request, origins);
    if (refusal) throw forbidden(refusal);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    if (type.startsWith('text/html')) {
      reply.headers(PAGE_HEADERS);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    } else if (type.startsWith('image/svg')) {
      reply.header('content-security-policy', SVG_CSP);
    }
    return payload;
  });

  function requireUser(request: FastifyRequest): User {
    if (!request.user)
      throw new HttpError(401, 'Pick who you are with the switcher at the top right first.');
    return request.user;
  }

  async function pageContext(request: FastifyRequest): Promise<PageContext> {
    const user = request.user;
    let unseen = 0;
    if (user) {
      try {
        unseen = await feeds.notification.for(user.id).countUnseen();
      } catch {
        unseen = 0;
      }
    }
    let users: User[] = [];
    try {
      users = await allUsers();
    } catch {
      users = user ? [user] : [];
    }
    return {
      user,
      users: users.slice(0, 500),
      unseen,
      path: safeNext(request.url, '/'),
      mode: runtime.describe,
    };
  }

  function sendPage(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
    // The headers are set here too: replies to bad URLs (frameworkErrors) skip the onSend hook.
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .headers(PAGE_HEADERS)
      .send(page.value);
  }

  /** After a form: JSON for fetch (static/app.js), else a 303 back to a local page. */
  function afterForm(
    request: FastifyRequest,
    reply: FastifyReply,
    next: string,
    json: Record<string, unknown> = {},
  ): FastifyReply {
    if (wantsJson(request)) return reply.send({ ok: true, ...json });
    return reply.redirect(next, 303);
  }

  // ------------------------------------------------------------------------- errors

  app.setErrorHandler(respondWithError);

  /** The error page (or JSON, for requests that ask for it) of every failure, with its status. */
  async function respondWithError(
    error: Error & { statusCode?: number; code?: string; validation?: unknown },
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    let status: number;
    let title: string;
    let message: string;
    if (error instanceof HttpError) {
      ({ statusCode: status, title, message } = error);
    } else if (
      typeof error.statusCode === 'number' &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      status = error.statusCode;
      const generic = new HttpError(status, '');
      title = generic.title;
      message = clientErrorMessage(error);
    } else if (isUnavailable(error)) {
      request.log.error({ err: error }, 'storage unavailable');
      status = 503;
      title = 'The storage is not reachable';
      message = 'The app cannot reach its storage right now. Please try again in a moment.';
    } else {
      request.log.error({ err: error }, 'unexpected error');
      status = 500;
      title = 'Something went wrong on our side';
      message = 'The error has been logged. Please try again.';
    }
    if (reply.sent || reply.raw.headersSent) return;
    if (wantsJson(request))
      return reply.code(status).send({ ok: false, status, error: title, message });
    try {
      const ctx = await pageContext(request);
      return sendPage(reply, views.errorPage(ctx, status, title, message), status);
    } catch {
      return reply
        .code(status)
        .type('text/plain; charset=utf-8')
        .send(`${status} ${title}\n${message}\n`);
    }
  }

  app.setNotFoundHandler(async (request, reply) => {
    const message = `There is no page at ${request.url.length > 80 ? `${request.url.slice(0, 80)}…` : request.url}.`;
    if (wantsJson(request))
      return reply.code(404).send({ ok: false, status: 404, error: 'Not found', message });
    return sendPage(
      reply,
      views.errorPage(await pageContext(request), 404, 'Not found', message),
      404,
    );
  });

  // ------------------------------------------------------------------------- loaders

  async function pinViews(pinIds: readonly number[], viewer: User | null): Promise<PinView[]> {
    const ids = [...new Set(pinIds)];
    const pins = await store.getPins(ids);
    const found = ids.filter((id) => pins.has(id));
    const [authors, boards, loves, loved] = await Promise.all([
      store.getUsers([...new Set(found.map((id) => pins.get(id)!.userId))]),
      store.getBoards([...new Set(found.map((id) => pins.get(id)!.boardId))]),
      store.loveCounts(found),
      viewer ? store.lovedBy(viewer.id, found) : Promise.resolve(new Set<number>()),
    ]);
    return found.map((id) => {
      const pin = pins.get(id)!;
      return {
        pin,
        author: authors.get(pin.userId),
        board: boards.get(pin.boardId),
        loves: loves.get(id) ?? 0,
        loved: loved.has(id),
      };
    });
  }

  const cursorOf = (
    items: ReadonlyArray<{ serializationId: string }>,
    limit: number,
  ): string | null =>
    items.length === limit && items.length > 0 ? items[items.length - 1]!.serializationId : null;

  async function homePage(user: User, before: string | undefined) {
    const activities: Activity[] = await manager.readFeed(user.id, 'normal', {
      limit: pageSize,
      ...(before ? { filter: { activityIdLt: before } } : {}),
    });
    return {
      views: await pinViews(
        activities.map((a) => a.objectId),
        user,
      ),
      cursor: cursorOf(activities, pageSize),
    };
  }

  async function groupedPage(user: User, before: string | undefined) {
    const feed = feeds.aggregated.for(user.id);
    const groups = await (before ? feed.filter({ activityIdLt: before }) : feed).get({
      limit: groupPageSize,
    });
    const actorIds = new Set<number>();
    const boardIds = new Set<number>();
    const pinIds = new Set<number>();
    for (const group of groups) {
      for (const activity of group.lastActivities) {
        actorIds.add(Number(activity.actorId));
        if (activity.targetId !== null) boardIds.add(Number(activity.targetId));
        pinIds.add(activity.objectId);
      }
    }
    const [users, boards, pins] = await Promise.all([
      store.getUsers([...actorIds]),
      store.getBoards([...boardIds]),
      store.getPins([...pinIds]),
    ]);
    const groupViews: GroupView[] = groups.map((group) => {
      const latest = group.lastActivities;
      const uniq = <T>(values: T[]) => [...new Set(values)];
      return {
        group,
        actors: uniq(latest.map((a) => Number(a.actorId)))
          .map((id) => users.get(id))
          .filter((u): u is User => u !== undefined),
        boards: uniq(latest.map((a) => a.targetId).filter((id) => id !== null).map(Number))
          .map((id) => boards.get(id))
          .filter((b): b is Board => b !== undefined),
        pins: uniq(latest.map((a) => a.objectId))
          .map((id) => pins.get(id))
          .filter((p) => p !== undefined),
      };
    });
    return { views: groupViews, cursor: cursorOf(groups, groupPageSize) };
  }

  async function userFeedPage(profileId: number, viewer: User | null, before: string | undefined) {
    const feed = feeds.user.for(profileId);
    const activities = await (before ? feed.filter({ activityIdLt: before }) : feed).get({
      limit: pageSize,
    });
    return {
      views: await pinViews(
        activities.map((a) => a.objectId),
        viewer,
      ),
      cursor: cursorOf(activities, pageSize),
    };
  }

  async function loadUser(raw: unknown): Promise<User> {
    const id = parseId(raw, 'user id');
    const user = await store.getUser(id);
    if (!user) throw notFound(`There is nobody with user id ${id}.`);
    return user;
  }

  async function loadPin(raw: unknown): Promise<Pin> {
    const id = parseId(raw, 'pin id');
    const pin = await store.getPin(id);
    if (!pin) throw notFound(`There is no pin with id ${id}.`);
    return pin;
  }

  async function peopleWithState(users: readonly User[], viewer: User | null) {
    const ids = users.map((u) => u.id);
    const [followers, following] = await Promise.all([
      store.followerCounts(ids),
      viewer ? store.followsOf(viewer.id, ids) : Promise.resolve(new Set<number>()),
    ]);
    return users.map((user) => ({
      user,
      followers: followers.get(user.id) ?? 0,
      following: following.has(user.id),
    }));
  }

  // ------------------------------------------------------------------------- assets

  app.get('/static/:file', { config: { asset: true } }, async (request, reply) => {
    const { file } = request.params as { file: string };
    const asset = staticFiles.get(file);
    if (!asset) throw notFound(`There is no static file called ${JSON.stringify(file)}.`);
    reply.header('etag', asset.etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });

  const svgName = (raw: string, what: string) => {
    if (!raw.endsWith('.svg'))
      throw notFound(`Images are served as .svg, got ${JSON.stringify(raw.slice(0, 40))}.`);
    return parseId(raw.slice(0, -4), what);
  };

  app.get('/img/pins/:file', { config: { asset: true } }, async (request, reply) => {
    const id = svgName((request.params as { file: string }).file, 'pin id');
    const pin = await store.getPin(id);
    if (!pin) throw notFound(`There is no pin with id ${id}.`);
    return reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=3600')
      .send(pinSvg(pin));
  });

  app.get('/img/avatars/:file', { config: { asset: true } }, async (request, reply) => {
    const id = svgName((request.params as { file: string }).file, 'user id');
    const user = await store.getUser(id);
    if (!user) throw notFound(`There is nobody with user id ${id}.`);
    return reply
      .type('image/svg+xml')
      .header('cache-control', 'public, max-age=3600')
      .send(avatarSvg(user));
  });

  app.get('/healthz', { config: { asset: true } }, async () => ({
    ok: true,
    storage: runtime.mode,
  }));

  // ------------------------------------------------------------------------- who are you

  app.post('/switch', async (request, reply) => {
    const fields = formFields(request.body);
    const user = await loadUser(fields.userId);
    reply.setCookie(USER_COOKIE, String(user.id), {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: 30 * 24 * 3600,
    });
    await store.touch(user.id, Date.now());
    const next = safeNext(fields.next, '/');
    return reply.redirect(next === '/switch' ? '/' : next, 303);
  });

  app.post('/join', async (request, reply) => {
    const fields = formFields(request.body);
    const name = parseText(fields.name, 'name', { min: 2, max: 40 });
    let handle: string;
    if (typeof fields.handle === 'string' && fields.handle.trim() !== '') {
      handle = fields.handle.trim().toLowerCase();
      if (!/^[a-z0-9_]{3,20}$/.test(handle))
        throw badRequest('A handle is 3 to 20 lowercase letters, digits or underscores.');
    } else {
      const base =
        name
          .toLowerCase()
          .normalize('NFKD')
          .replace(/[^a-z0-9]+/g, '')
          .slice(0, 14) || 'pinner';
      handle = base.length >= 3 ? base : `${base}_pins`;
      for (let i = 2; await store.findUserByHandle(handle); i++)
        handle = `${base.slice(0, 14)}${i}`;
    }
    const user = await actions.createUser(runtime, name, handle, Math.floor(Math.random() * 360));
    await store.createBoard({ userId: user.id, name: 'My pins', createdAt: Date.now() });
    usersCache = undefined;
    reply.setCookie(USER_COOKIE, String(user.id), {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: 30 * 24 * 3600,
    });
    return reply.redirect('/people', 303);
  });

  // ------------------------------------------------------------------------- feeds

  app.get('/', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const before = parseCursor(query.before);
    const ctx = await pageContext(request);
    if (!ctx.user) {
      const people = await peopleWithState(await allUsers(), null);
      people.sort((a, b) => b.followers - a.followers || a.user.id - b.user.id);
      return sendPage(reply, views.pickUserPage(ctx, people));
    }
    const [page, following, pulled] = await Promise.all([
      homePage(ctx.user, before),
      store.followingCount(ctx.user.id),
      runtime.config.maxFanoutFollowers === undefined
        ? Promise.resolve(0)
        : store.followingIds(ctx.user.id).then(async (ids) => {
            const counts = await store.followerCounts(ids);
            return ids.filter((id) => (counts.get(id) ?? 0) > runtime.config.maxFanoutFollowers!)
              .length;
          }),
    ]);
    return sendPage(reply, views.homePage(ctx, page.views, page.cursor, { following, pulled }));
  });

  app.get('/more/home', async (request) => {
    const user = requireUser(request);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const page = await homePage(user, before);
    return { html: views.pinCards(page.views, user, '/').value, cursor: page.cursor };
  });

  app.get('/grouped', async (request, reply) => {
    const user = requireUser(request);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const page = await groupedPage(user, before);
    return sendPage(reply, views.groupedPage(await pageContext(request), page.views, page.cursor));
  });

  app.get('/more/grouped', async (request) => {
    const user = requireUser(request);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const page = await groupedPage(user, before);
    return {
      html: page.views.map((view) => views.groupCard(view).value).join(''),
      cursor: page.cursor,
    };
  });

  // ------------------------------------------------------------------------- notifications

  app.get('/notifications', async (request, reply) => {
    const user = requireUser(request);
    const feed = feeds.notification.for(user.id);
    const [items, counts] = await Promise.all([feed.get({ limit: 50 }), feed.counts()]);
    const actorIds = new Set<number>();
    const pinIds = new Set<number>();
    for (const item of items) {
      for (const activity of item.lastActivities) actorIds.add(Number(activity.actorId));
      if (item.verbs[0]?.id === Love.id) for (const id of item.objectIds) pinIds.add(id);
    }
    const [users, pins] = await Promise.all([
      store.getUsers([...actorIds]),
      store.getPins([...pinIds]),
    ]);
    const notificationViews: NotificationView[] = items.map((item: NotificationActivity) => ({
      item,
      actors: [...new Set(item.lastActivities.map((a) => Number(a.actorId)))]
        .map((id) => users.get(id))
        .filter((u): u is User => u !== undefined),
      pin: item.verbs[0]?.id === Love.id ? pins.get(item.objectIds[0] ?? 0) : undefined,
    }));
    const ctx = await pageContext(request);
    ctx.unseen = counts.unseen;
    return sendPage(reply, views.notificationsPage(ctx, notificationViews, counts));
  });

  app.post('/notifications/mark-all', async (request, reply) => {
    const user = requireUser(request);
    const fields = formFields(request.body);
    const what = parseChoice(fields.what, 'mark', ['seen', 'read'] as const, 'seen');
    const counts = await feeds.notification
      .for(user.id)
      .markAll({ seen: true, read: what === 'read' });
    return afterForm(request, reply, '/notifications', { counts });
  });

  app.post('/notifications/read', async (request, reply) => {
    const user = requireUser(request);
    const fields = formFields(request.body);
    const id = parseActivityId(fields.id);
    const counts = await feeds.notification
      .for(user.id)
      .markActivity(id, { seen: true, read: true });
    return afterForm(request, reply, safeNext(fields.next, '/notifications'), { counts });
  });

  // Live unseen/unread counts: one subscription to the notification feed's count changes (from
  // this process, and through Redis pub/sub from every other), fanned out to open event streams.
  const streams = new Map<string, Set<ServerResponse>>();
  const writeCounts = (res: ServerResponse, counts: { unseen: number; unread: number }) =>
    res.write(
      `event: counts\ndata: ${JSON.stringify({ unseen: counts.unseen, unread: counts.unread })}\n\n`,
    );
  const unsubscribe = await feeds.notification.subscribe((event) => {
    for (const res of streams.get(event.userId) ?? []) writeCounts(res, event);
  });

  app.get('/events', async (request, reply) => {
    const user = requireUser(request);
    const counts = await feeds.notification.for(user.id).counts();
    reply.hijack();
    const res = reply.raw;
    // A long-lived stream: its heartbeats, not the idle timeout, keep it honest.
    res.socket?.setTimeout(0);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 3000\n\n');
    writeCounts(res, counts);
    const key = String(user.id);
    const set = streams.get(key) ?? new Set<ServerResponse>();
    set.add(res);
    streams.set(key, set);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 20_000);
    heartbeat.unref();
    const done = () => {
      clearInterval(heartbeat);
      set.delete(res);
      if (set.size === 0 && streams.get(key) === set) streams.delete(key);
    };
    res.on('close', done);
    res.on('error', done);
  });

  app.addHook('preClose', async () => {
    for (const set of streams.values()) for (const res of set) res.end();
    streams.clear();
  });
  app.addHook('onClose', async () => {
    await unsubscribe();
    if (options.closeRuntime) await runtime.close();
  });

  // ------------------------------------------------------------------------- people

  app.get('/people', async (request, reply) => {
    const ctx = await pageContext(request);
    const people = await peopleWithState(await allUsers(), ctx.user);
    people.sort((a, b) => b.followers - a.followers || a.user.id - b.user.id);
    return sendPage(
      reply,
      views.peopleList(
        ctx,
        'People',
        'Everyone on Pinstream, most followed first. Following someone copies their recent pins into your feeds right away.',
        people,
        !ctx.user,
      ),
    );
  });

  app.get('/u/:userId', async (request, reply) => {
    const profile = await loadUser((request.params as { userId: string }).userId);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const viewer = request.user;
    const [boards, counts, following, pins, isFollowing, page] = await Promise.all([
      store.listBoards(profile.id),
      store.followerCounts([profile.id]),
      store.followingCount(profile.id),
      feeds.user.for(profile.id).count(),
      viewer && viewer.id !== profile.id
        ? store.followsOf(viewer.id, [profile.id]).then((set) => set.has(profile.id))
        : Promise.resolve(false),
      userFeedPage(profile.id, viewer, before),
    ]);
    const boardCounts = await store.countBoardPins(boards.map((b) => b.id));
    return sendPage(
      reply,
      views.profilePage(await pageContext(request), {
        profile,
        boards: boards.map((board) => ({ ...board, pins: boardCounts.get(board.id) ?? 0 })),
        followers: counts.get(profile.id) ?? 0,
        following,
        pins,
        isFollowing,
        views: page.views,
        cursor: page.cursor,
      }),
    );
  });

  app.get('/more/user/:userId', async (request) => {
    const profile = await loadUser((request.params as { userId: string }).userId);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const page = await userFeedPage(profile.id, request.user, before);
    return {
      html: views.pinCards(page.views, request.user, `/u/${profile.id}`).value,
      cursor: page.cursor,
    };
  });

  for (const relation of ['followers', 'following'] as const) {
    app.get(`/u/:userId/${relation}`, async (request, reply) => {
      const profile = await loadUser((request.params as { userId: string }).userId);
      const ids =
        relation === 'followers'
          ? await store.followerIds(profile.id)
          : await store.followingIds(profile.id);
      const users = await store.getUsers(ids.slice(0, 500));
      const ctx = await pageContext(request);
      const people = await peopleWithState([...users.values()], ctx.user);
      const title =
        relation === 'followers' ? `Followers of ${profile.name}` : `${profile.name} follows`;
      return sendPage(
        reply,
        views.peopleList(ctx, title, views.plural(ids.length, 'person', 'people'), people),
      );
    });
  }

  for (const verb of ['follow', 'unfollow'] as const) {
    app.post(`/u/:userId/${verb}`, async (request, reply) => {
      const user = requireUser(request);
      const target = await loadUser((request.params as { userId: string }).userId);
      const fields = formFields(request.body);
      if (verb === 'follow') await actions.follow(runtime, user, target);
      else await actions.unfollow(runtime, user, target);
      const next = safeNext(fields.next, `/u/${target.id}`);
      const followers = (await store.followerCounts([target.id])).get(target.id) ?? 0;
      return afterForm(request, reply, next, {
        following: verb === 'follow',
        followers,
        html: views.followButton(target, verb === 'follow', next).value,
      });
    });
  }

  // ------------------------------------------------------------------------- pins and boards

  app.get('/pins/new', async (request, reply) => {
    const user = requireUser(request);
    const query = request.query as Record<string, unknown>;
    const boards = await store.listBoards(user.id);
    const boardId = query.board === undefined ? undefined : parseId(query.board, 'board id');
    return sendPage(
      reply,
      views.newPinPage(await pageContext(request), { boards, values: { boardId } }),
    );
  });

  app.post('/pins', async (request, reply) => {
    const user = requireUser(request);
    const fields = formFields(request.body);
    const boards = await store.listBoards(user.id);
    const hueRaw = typeof fields.hue === 'string' ? fields.hue : undefined;
    const values = {
      title: typeof fields.title === 'string' ? fields.title.slice(0, 200) : undefined,
      boardId:
        typeof fields.boardId === 'string' && /^\d{1,10}$/.test(fields.boardId)
          ? Number(fields.boardId)
          : undefined,
      pattern: typeof fields.pattern === 'string' ? fields.pattern : undefined,
      hue: hueRaw && /^\d{1,3}$/.test(hueRaw) ? Number(hueRaw) : undefined,
    };
    let input: actions.NewPin;
    try {
      const title = parseText(fields.title, 'title', { min: 1, max: 80 });
      const boardId = parseId(fields.boardId, 'board id');
      const hue =
        fields.hue === undefined || fields.hue === ''
          ? Math.floor(Math.random() * 360)
          : parseInteger(fields.hue, 'colour', 0, 359);
      const choice = parseChoice(
        fields.pattern,
        'pattern',
        [...PATTERNS, 'random'] as const,
        'random',
      );
      const pattern: Pattern =
        choice === 'random' ? PATTERNS[Math.floor(Math.random() * PATTERNS.length)]! : choice;
      input = { title, boardId, hue, pattern };
      const board = await store.getBoard(boardId);
      if (!board) throw notFound(`There is no board with id ${boardId}.`);
      if (board.userId !== user.id)
        throw forbidden(
          `The board “${board.name}” belongs to someone else; pick one of your own boards.`,
        );
    } catch (error) {
      if (!(error instanceof HttpError) || wantsJson(request)) throw error;
      const ctx = await pageContext(request);
      return sendPage(
        reply,
        views.newPinPage(ctx, { boards, values, error: error.message }),
        error.statusCode,
      );
    }
    const { pin } = await actions.createPin(runtime, user, input);
    return afterForm(request, reply, `/pins/${pin.id}`, { pin: pin.id });
  });

  app.post('/boards', async (request, reply) => {
    const user = requireUser(request);
    const fields = formFields(request.body);
    let name: string;
    try {
      name = parseText(fields.name, 'board name', { min: 1, max: 40 });
      const board = await actions.createBoard(runtime, user, name);
      return afterForm(request, reply, `/pins/new?board=${board.id}`, { board: board.id });
    } catch (error) {
      if (!(error instanceof HttpError) || wantsJson(request)) throw error;
      const boards = await store.listBoards(user.id);
      const ctx = await pageContext(request);
      const newBoard = typeof fields.name === 'string' ? fields.name.slice(0, 60) : undefined;
      return sendPage(
        reply,
        views.newPinPage(ctx, { boards, values: { newBoard }, error: error.message }),
        error.statusCode,
      );
    }
  });

  app.get('/pins/:pinId', async (request, reply) => {
    const pin = await loadPin((request.params as { pinId: string }).pinId);
    const [view] = await pinViews([pin.id], request.user);
    return sendPage(reply, views.pinPage(await pageContext(request), view!));
  });

  app.post('/pins/:pinId/love', async (request, reply) => {
    const user = requireUser(request);
    const pin = await loadPin((request.params as { pinId: string }).pinId);
    const fields = formFields(request.body);
    await actions.love(runtime, user, pin);
    const next = safeNext(fields.next, `/pins/${pin.id}`);
    const count = (await store.loveCounts([pin.id])).get(pin.id) ?? 0;
    return afterForm(request, reply, next, {
      loves: count,
      html: views.loveButton(pin, count, true, true, next).value,
    });
  });

  app.post('/pins/:pinId/delete', async (request, reply) => {
    const user = requireUser(request);
    const pinId = parseId((request.params as { pinId: string }).pinId, 'pin id');
    await actions.deletePin(runtime, user, pinId);
    return afterForm(request, reply, `/u/${user.id}`);
  });

  app.get('/boards/:boardId', async (request, reply) => {
    const id = parseId((request.params as { boardId: string }).boardId, 'board id');
    const board = await store.getBoard(id);
    if (!board) throw notFound(`There is no board with id ${id}.`);
    const query = request.query as Record<string, unknown>;
    let before: Pin | undefined;
    if (query.before !== undefined) {
      const cursorId = parseId(query.before, 'pin id of the cursor');
      before = await store.getPin(cursorId);
      if (!before || before.boardId !== board.id)
        throw badRequest(`Pin ${cursorId} is not on this board.`);
    }
    const [pins, owner, counts] = await Promise.all([
      store.listBoardPins(board.id, { limit: pageSize, before }),
      store.getUser(board.userId),
      store.countBoardPins([board.id]),
    ]);
    const pinList = await pinViews(
      pins.map((p) => p.id),
      request.user,
    );
    const cursor = pins.length === pageSize ? String(pins[pins.length - 1]!.id) : null;
    return sendPage(
      reply,
      views.boardPage(
        await pageContext(request),
        board,
        owner,
        pinList,
        cursor,
        counts.get(board.id) ?? 0,
      ),
    );
  });

  // ------------------------------------------------------------------------- stats

  // Several open stats pages refresh every 2 s: they share one computation per second.
  let statsCache: { at: number; view: Promise<views.StatsView> } | undefined;
  function statsView(): Promise<views.StatsView> {
    if (!statsCache || Date.now() - statsCache.at > 1000) {
      const view = computeStats();
      statsCache = { at: Date.now(), view };
      view.catch(() => {
        if (statsCache?.view === view) statsCache = undefined;
      });
    }
    return statsCache.view;
  }

  async function computeStats(): Promise<views.StatsView> {
    await runtime.metrics.flush();
    const [queue, totals, counters, lastFanout, users] = await Promise.all([
      runtime.queueStats(),
      store.totals(),
      store.readStats(),
      store.getLastFanout(),
      allUsers(),
    ]);
    const ids = users.map((u) => u.id);
    const sum = async (count: (id: number) => Promise<number>) => {
      let feedsWithEntries = 0;
      let entries = 0;
      for (let i = 0; i < ids.length; i += 200) {
        const counts = await Promise.all(ids.slice(i, i + 200).map(count));
        for (const n of counts) {
          entries += n;
          if (n > 0) feedsWithEntries++;
        }
      }
      return { feeds: feedsWithEntries, entries };
    };
    const [normal, aggregated, notification, user, unseen] = await Promise.all([
      sum((id) => feeds.normal.for(id).count()),
      sum((id) => feeds.aggregated.for(id).count()),
      sum((id) => feeds.notification.for(id).count()),
      sum((id) => feeds.user.for(id).count()),
      sum((id) => feeds.notification.for(id).countUnseen()),
    ]);
    const author = lastFanout ? await store.getUser(lastFanout.userId) : undefined;
    return {
      queue,
      totals,
      counters,
      lastFanout: lastFanout && { ...lastFanout, ...(author ? { author } : {}) },
      feeds: [
        {
          name: 'normal',
          description: `home feeds (flat, newest first, max ${HOME_MAX_LENGTH})`,
          ...normal,
        },
        { name: 'aggregated', description: 'grouped feeds (verb + day)', ...aggregated },
        {
          name: 'notification',
          description: 'notification feeds (verb + object + day)',
          ...notification,
          extra: `${unseen.entries} unseen in all`,
        },
        { name: 'user', description: "people's own pins", ...user },
      ],
      settings: [
        ['storage', runtime.describe.storage],
        ['fanout', runtime.describe.queue],
        ['fanout chunk size', `${manager.fanoutChunkSize} followers per task`],
        [
          'large accounts',
          manager.maxFanoutFollowers === Infinity
            ? 'always pushed (set SF_MAX_FANOUT_FOLLOWERS to pull large accounts at read time)'
            : `more than ${manager.maxFanoutFollowers} followers: pulled into home feeds at read time`,
        ],
        [
          'HIGH priority',
          `followers active in the last ${Math.round(runtime.config.activeWindowMs / 86_400_000)} days`,
        ],
      ],
    };
  }

  app.get('/stats', async (request, reply) =>
    sendPage(reply, views.statsPage(await pageContext(request), await statsView())),
  );
  app.get('/stats/fragment', async (_request, reply) =>
    sendPage(reply, views.statsBody(await statsView())),
  );
  app.get('/stats.json', async () => {
    const view = await statsView();
    return {
      queue: view.queue,
      totals: view.totals,
      counters: view.counters,
      lastFanout: view.lastFanout ?? null,
      feeds: view.feeds,
    };
  });

  return app;
}
