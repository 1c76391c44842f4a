import type { FastifyInstance } from 'fastify';
import { crossSiteRefusal } from '../origin.js';
import { forbidden } from '../validation.js';
import type { RouteContext } from './context.js';
import { PAGE_HEADERS, SVG_CSP } from './page.js';
import { USER_COOKIE } from './session.js';

/**
 * Who is acting (the signed cookie, checked on every page), which form posts are refused, and
 * the security headers of every answer.
 */
export function registerActingHooks(
  app: FastifyInstance,
  ctx: RouteContext,
  origins: readonly string[] | undefined,
): void {
  const { store } = ctx;

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
}
