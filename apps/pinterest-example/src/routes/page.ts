import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SafeHtml } from '../html.js';
import type { User } from '../store.js';
import { HttpError } from '../validation.js';

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

export const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/** The headers of an HTML page (also written by hand for errors below routing). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export function requireUser(request: FastifyRequest): User {
  if (!request.user)
    throw new HttpError(401, 'Pick who you are with the switcher at the top right first.');
  return request.user;
}

export function sendPage(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  // The headers are set here too: replies to bad URLs (frameworkErrors) skip the onSend hook.
  return reply.code(status).type('text/html; charset=utf-8').headers(PAGE_HEADERS).send(page.value);
}

/** After a form: JSON for fetch (static/app.js), else a 303 back to a local page. */
export function afterForm(
  request: FastifyRequest,
  reply: FastifyReply,
  next: string,
  json: Record<string, unknown> = {},
): FastifyReply {
  if (wantsJson(request)) return reply.send({ ok: true, ...json });
  return reply.redirect(next, 303);
}
