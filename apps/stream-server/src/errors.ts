import {
  ActivityNotFoundError,
  ActivityConflictError,
  InvalidArgumentError,
  SerializationIdError,
  SfError,
  StorageError,
  StorageUnavailableError,
} from '@sf/activity';
import { StorageLockError } from '@sf/feeds';
import { RedisReplyError } from '@sf/storage-redis';

/**
 * An error with an HTTP status and a stable code (the `code` of the response body, e.g.
 * `BAD_REQUEST`, `PUBLISH_INCOMPLETE`); the message is safe to show to the caller. `details`
 * are extra fields of the error body (JSON-RPC: of `error.data`).
 */
export class ApiError extends SfError {
  readonly statusCode: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.statusCode = statusCode;
    this.details = options.details;
  }
}

/**
 * A publish that wrote the author's user feed (or may have) but did not finish its fanout: 503
 * with the activity's `id`, the `activity` as stored (its `time` included) and
 * `retryable: true`. Publishing the same activity again (same time) is idempotent and completes
 * the fanout.
 */
export class PublishIncompleteError extends ApiError {
  constructor(id: string, activity: unknown, cause: unknown) {
    super(
      503,
      'PUBLISH_INCOMPLETE',
      `activity ${id} may be in the user feed but did not reach every follower (${causeOf(cause)}); publish the same activity again (same time) to complete it`,
      { details: { id, activity, retryable: true }, cause },
    );
  }
}

/** The message of an error and of the first error it wraps (a fanout failure wraps the real one). */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${inner}`;
}

export const badRequest = (message: string) => new ApiError(400, 'BAD_REQUEST', message);
export const notFound = (message: string) => new ApiError(404, 'NOT_FOUND', message);

/** The body of every error response (some errors add fields, e.g. PUBLISH_INCOMPLETE's `id`). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  [detail: string]: unknown;
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Fastify's own error codes, renamed to this API's. */
const fastifyCodes: Record<string, string> = {
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_CONTENT_LENGTH',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

/**
 * What an error becomes for the caller: ApiErrors and the 4xx errors of Fastify keep their
 * message; library validation errors are 400s (an activity time outside the range serialization
 * ids can hold names the field and the range); another actor's activity under the same id is a
 * 409; storage outages 503; anything else a 500 whose details stay in the log.
 */
export function toErrorBody(error: unknown): ErrorBody {
  const body = (statusCode: number, code: string, message: string): ErrorBody => ({
    statusCode,
    error: reasons[statusCode] ?? (statusCode < 500 ? 'Bad Request' : 'Internal Server Error'),
    code,
    message,
  });
  if (error instanceof ApiError)
    return { ...error.details, ...body(error.statusCode, error.code, error.message) };
  // Every bad-input error of the library (an activity's field, a query, a feed option, a user id).
  if (InvalidArgumentError.isInstance(error) || error instanceof SerializationIdError)
    return body(400, error.code, error.message);
  if (error instanceof ActivityConflictError) return body(409, error.code, error.message);
  // An update in place of an activity that is not stored (it creates nothing).
  if (error instanceof ActivityNotFoundError) return body(404, 'NOT_FOUND', error.message);
  if (error instanceof StorageUnavailableError)
    return body(503, error.code, 'the storage is unavailable; try again later');
  // Storage state the server cannot use, or a feed lock held too long: typed, naming the key.
  if (error instanceof StorageLockError) return body(503, 'FEED_LOCKED', error.message);
  if (error instanceof RedisReplyError)
    return /WRONGTYPE/.test(error.message)
      ? body(500, 'CORRUPT_STORAGE', error.message)
      : body(500, 'STORAGE_ERROR', error.message);
  // Any other storage failure (a PostgreSQL statement, a timeout): the message names the table.
  if (error instanceof StorageError) return body(500, 'STORAGE_ERROR', error.message);
  if (error instanceof SfError && error.code === 'SF_FANOUT_FAILED')
    return body(503, 'FANOUT_FAILED', `${causeOf(error)}; the operation can be repeated`);
  if (error instanceof SfError) return body(500, 'INTERNAL', 'internal error');
  const candidate = error as {
    statusCode?: unknown;
    code?: unknown;
    message?: unknown;
    validation?: unknown;
  } | null;
  if (
    candidate &&
    typeof candidate.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500
  ) {
    const code =
      typeof candidate.code === 'string'
        ? (fastifyCodes[candidate.code] ?? candidate.code.replace(/^FST_ERR_/, ''))
        : 'BAD_REQUEST';
    if (candidate.validation) return body(400, 'VALIDATION_FAILED', String(candidate.message));
    if (
      candidate.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      (error instanceof SyntaxError && candidate.statusCode === 400)
    ) {
      return body(400, 'INVALID_JSON', 'the body is not valid JSON');
    }
    return body(candidate.statusCode, code, String(candidate.message));
  }
  return body(500, 'INTERNAL', 'internal error');
}
