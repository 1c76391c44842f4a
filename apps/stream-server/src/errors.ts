import {
  ActivityConflictError,
  InvalidActivityError,
  SerializationIdError,
  SfError,
  StorageUnavailableError,
} from '@sf/activity';

/** An error with an HTTP status and a stable code; the message is safe to show to the caller. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  readonly code: string;

  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}

export const badRequest = (message: string) => new ApiError(400, 'BAD_REQUEST', message);
export const notFound = (message: string) => new ApiError(404, 'NOT_FOUND', message);

/** The body of every error response. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
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
  if (error instanceof ApiError) return body(error.statusCode, error.code, error.message);
  if (error instanceof InvalidActivityError || error instanceof SerializationIdError)
    return body(400, error.code, error.message);
  if (error instanceof ActivityConflictError) return body(409, error.code, error.message);
  if (error instanceof StorageUnavailableError)
    return body(503, error.code, 'the storage is unavailable; try again later');
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
