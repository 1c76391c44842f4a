/** Input validation: every id, cursor and form field that reaches the app goes through here. */
import { MAX_SERIALIZATION_ID_LENGTH, SfError } from '@sf/activity';

/**
 * An error with an HTTP status and a message safe to show to the person who made the request.
 * `code` is stable: the status's name (`NOT_FOUND`, `HTTP_418` for others) unless a case needs
 * its own (`HANDLE_TAKEN`). Pages and JSON answers show the title and message, not the code.
 */
export class HttpError extends SfError {
  readonly statusCode: number;
  readonly title: string;

  constructor(statusCode: number, message: string, title?: string, code?: string) {
    super(code ?? statusCodes[statusCode] ?? `HTTP_${statusCode}`, message);
    this.statusCode = statusCode;
    this.title = title ?? defaultTitle(statusCode);
  }
}

const statusCodes: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'NO_USER',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
};

function defaultTitle(status: number): string {
  switch (status) {
    case 400:
      return 'That request does not look right';
    case 401:
      return 'Pick who you are first';
    case 403:
      return 'Not allowed';
    case 404:
      return 'Not found';
    case 405:
      return 'Method not allowed';
    case 408:
      return 'The request took too long';
    case 409:
      return 'Conflict';
    case 413:
      return 'Too large';
    case 414:
      return 'The address is too long';
    case 415:
      return 'Unsupported content';
    case 429:
      return 'Too many requests';
    case 431:
      return 'The request headers are too large';
    default:
      return status >= 500 ? 'Something went wrong on our side' : 'Request error';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const notFound = (message: string) => new HttpError(404, message);
export const forbidden = (message: string) => new HttpError(403, message);

/** The largest id the app hands out (ids are positive 31-bit integers). */
export const MAX_ID = 2_147_483_647;

/** Shows a raw value in an error message: short, and as a JSON string so blanks and quotes are visible. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value !== 'string') return Array.isArray(value) ? 'a list of values' : typeof value;
  const text = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(text);
}

/** A positive integer id from a path parameter or a form field. */
export function parseId(value: unknown, what: string): number {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value)) {
    throw badRequest(`The ${what} must be a positive whole number, got ${shown(value)}.`);
  }
  const id = Number(value);
  if (id < 1 || id > MAX_ID)
    throw badRequest(`The ${what} must be between 1 and ${MAX_ID}, got ${value}.`);
  return id;
}

/** A whole number within bounds (form fields such as the colour). */
export function parseInteger(value: unknown, what: string, min: number, max: number): number {
  if (
    typeof value !== 'string' ||
    !/^\d{1,10}$/.test(value) ||
    Number(value) < min ||
    Number(value) > max
  ) {
    throw badRequest(
      `The ${what} must be a whole number from ${min} to ${max}, got ${shown(value)}.`,
    );
  }
  return Number(value);
}

const CURSOR = new RegExp(`^\\d{1,${MAX_SERIALIZATION_ID_LENGTH}}$`);

/** A paging cursor: a serialization id (decimal digits, up to 46) or absent. */
export function parseCursor(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !CURSOR.test(value)) {
    throw badRequest(
      `The paging cursor "before" must be an activity id (digits only), got ${shown(value)}.`,
    );
  }
  return value.replace(/^0+(?=\d)/, '');
}

/** The cursor of a ranked page (the library checks its content): base64url, bounded. */
export function parseRankedCursor(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,16384}$/.test(value)) {
    throw badRequest(
      `The paging cursor "before" of a ranked page is not valid, got ${shown(value)}.`,
    );
  }
  return value;
}

/** An aggregated (notification) activity id: digits. */
export function parseActivityId(value: unknown): string {
  if (typeof value !== 'string' || !/^\d{1,30}$/.test(value)) {
    throw badRequest(`The notification id must be digits only, got ${shown(value)}.`);
  }
  return value.replace(/^0+(?=\d)/, '');
}

// Control characters (except none: single-line fields), and Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export interface TextRules {
  min: number;
  max: number;
}

/** A single-line text field: trimmed, inner whitespace collapsed, length-checked, no control characters. */
export function parseText(value: unknown, what: string, rules: TextRules): string {
  if (value === undefined || value === null) throw badRequest(`Please give a ${what}.`);
  if (typeof value !== 'string') throw badRequest(`The ${what} must be text, got ${shown(value)}.`);
  const text = value
    .replace(/[\t\r\n]+/g, ' ')
    .trim()
    .replace(/\s{2,}/g, ' ');
  if (CONTROL.test(text)) throw badRequest(`The ${what} contains characters that cannot be shown.`);
  const length = [...text].length;
  if (length < rules.min) {
    throw badRequest(
      rules.min === 1
        ? `Please give a ${what}.`
        : `The ${what} needs at least ${rules.min} characters.`,
    );
  }
  if (length > rules.max)
    throw badRequest(`The ${what} can be at most ${rules.max} characters (it has ${length}).`);
  return text;
}

/** One of a fixed set of values. */
export function parseChoice<T extends string>(
  value: unknown,
  what: string,
  choices: readonly T[],
  fallback?: T,
): T {
  if ((value === undefined || value === '') && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw badRequest(`The ${what} must be one of ${choices.join(', ')}, got ${shown(value)}.`);
  }
  return value as T;
}

/** A form body as a record of fields; anything else (a JSON array, a string) is refused. */
export function formFields(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw badRequest('The form data could not be read.');
  return body as Record<string, unknown>;
}

/** A local path to go back to after a form (never another site). */
export function safeNext(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length > 300) return fallback;
  if (
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.includes('\\') ||
    CONTROL.test(value)
  )
    return fallback;
  return value;
}
