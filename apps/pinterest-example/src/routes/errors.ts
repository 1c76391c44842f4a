import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../validation.js';
import * as views from '../views/index.js';
import type { RouteContext } from './context.js';
import { sendPage, wantsJson } from './page.js';

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

export type ErrorResponder = (
  error: Error & { statusCode?: number; code?: string; validation?: unknown },
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<FastifyReply | undefined>;

/** The error page (or JSON, for requests that ask for it) of every failure, with its status. */
export function errorResponder(ctx: RouteContext): ErrorResponder {
  return async (error, request, reply) => {
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
      const page = await ctx.pageContext(request);
      return sendPage(reply, views.errorPage(page, status, title, message), status);
    } catch {
      return reply
        .code(status)
        .type('text/plain; charset=utf-8')
        .send(`${status} ${title}\n${message}\n`);
    }
  };
}

export function registerErrorHandlers(
  app: FastifyInstance,
  ctx: RouteContext,
  respondWithError: ErrorResponder,
): void {
  app.setErrorHandler(respondWithError);

  app.setNotFoundHandler(async (request, reply) => {
    const message = `There is no page at ${request.url.length > 80 ? `${request.url.slice(0, 80)}…` : request.url}.`;
    if (wantsJson(request))
      return reply.code(404).send({ ok: false, status: 404, error: 'Not found', message });
    return sendPage(
      reply,
      views.errorPage(await ctx.pageContext(request), 404, 'Not found', message),
      404,
    );
  });
}
