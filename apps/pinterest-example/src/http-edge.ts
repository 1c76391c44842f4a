import { STATUS_CODES } from 'node:http';
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { ConfigError, positiveInt } from './runtime.js';

/**
 * The web server's edge: how long a client may take to send a request, how many connections one
 * address may hold, and the app's own error page for requests that are refused before Fastify
 * routes them (a timeout, oversized headers, unparsable HTTP).
 */

export interface HttpLimits {
  /** Time to receive a request's headers (Node's `headersTimeout`); at most `requestTimeoutMs`. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (`requestTimeout`): a trickled body gets a 408. */
  requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed (`connectionTimeout`). */
  connectionTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long (`keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /** Open connections one remote address may hold; more are closed at once (0: no limit). */
  maxConnectionsPerClient: number;
}

export const defaultHttpLimits: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerClient: 50,
};

/** A whole number of 0 or more (0 switches the limit off). */
function count(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))
    throw new ConfigError(
      `${name} must be a whole number (0 for no limit), got ${JSON.stringify(raw)}`,
      { path: name, value: raw },
    );
  return Number(raw);
}

/** Checks limits given in code or the environment: every timeout positive, headers within request. */
export function checkHttpLimits(limits: HttpLimits): HttpLimits {
  for (const name of [
    'headersTimeoutMs',
    'requestTimeoutMs',
    'connectionTimeoutMs',
    'keepAliveTimeoutMs',
  ] as const) {
    const value = limits[name];
    if (!Number.isSafeInteger(value) || value < 1)
      throw new ConfigError(
        `${name} must be a positive whole number of milliseconds, got ${value}`,
        { path: name, value },
      );
  }
  if (!Number.isSafeInteger(limits.maxConnectionsPerClient) || limits.maxConnectionsPerClient < 0)
    throw new ConfigError(
      `maxConnectionsPerClient must be a whole number (0 for no limit), got ${limits.maxConnectionsPerClient}`,
      { path: 'maxConnectionsPerClient', value: limits.maxConnectionsPerClient },
    );
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new ConfigError(
      `the headers timeout (${limits.headersTimeoutMs} ms) must not exceed the request timeout (${limits.requestTimeoutMs} ms)`,
      { path: 'headersTimeoutMs', value: limits.headersTimeoutMs },
    );
  return limits;
}

/** The limits from SF_HEADERS_TIMEOUT_MS, SF_REQUEST_TIMEOUT_MS, SF_CONNECTION_TIMEOUT_MS, SF_KEEP_ALIVE_TIMEOUT_MS, SF_MAX_CONNECTIONS_PER_CLIENT. */
export function httpLimitsFromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<HttpLimits> = {},
): HttpLimits {
  const d = defaultHttpLimits;
  return checkHttpLimits({
    headersTimeoutMs: positiveInt(env, 'SF_HEADERS_TIMEOUT_MS') ?? d.headersTimeoutMs,
    requestTimeoutMs: positiveInt(env, 'SF_REQUEST_TIMEOUT_MS') ?? d.requestTimeoutMs,
    connectionTimeoutMs: positiveInt(env, 'SF_CONNECTION_TIMEOUT_MS') ?? d.connectionTimeoutMs,
    keepAliveTimeoutMs: positiveInt(env, 'SF_KEEP_ALIVE_TIMEOUT_MS') ?? d.keepAliveTimeoutMs,
    maxConnectionsPerClient:
      count(env, 'SF_MAX_CONNECTIONS_PER_CLIENT') ?? d.maxConnectionsPerClient,
    ...overrides,
  });
}

/** Fastify's and Node's options for the limits. */
export function serverOptions(limits: HttpLimits): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)),
      ),
    },
  };
}

/**
 * Closes connections over `max` per remote address as they arrive (0: no limit). Behind a
 * reverse proxy every client has the proxy's address: raise the limit or switch it off there.
 */
export function capConnectionsPerClient(
  server: Server,
  max: number,
  onRefused: (address: string, open: number) => void,
): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  // Addresses reported since they reached the limit (one report per episode, not per socket).
  const reported = new Set<string>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (count >= max) {
      if (!reported.has(address)) onRefused(address, count);
      reported.add(address);
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
      if (left < max) reported.delete(address);
    });
  });
}

/** What a client error below routing is, for the error page. */
export function socketErrorStatus(error: { code?: string }): { status: number; message: string } {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request was not received in time. Please try again.' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'The request headers are too large.' };
    default:
      return { status: 400, message: 'The request could not be read.' };
  }
}

/**
 * Fastify's `clientErrorHandler`: answers with the app's error page (`render`) instead of
 * Fastify's raw JSON, then closes the socket.
 */
export function htmlClientErrorHandler(
  render: (status: number, message: string) => { body: string; headers: Record<string, string> },
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // Never write into a response that has started (Node's own rule for client errors).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const { status, message } = socketErrorStatus(error);
      const { body, headers } = render(status, message);
      const head = Object.entries({
        ...headers,
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
      })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n${body}`);
    }
    socket.destroy(error);
  };
}
