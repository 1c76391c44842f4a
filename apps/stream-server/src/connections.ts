import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { LimitsConfig } from './config.js';

/**
 * Fastify / Node http options bounding how long a client may take: the headers
 * (`headersTimeoutMs`), the whole request with its body (`requestTimeoutMs`; a client sending
 * one byte a second is cut off), an idle keep-alive connection (`keepAliveTimeoutMs`) and a
 * socket that sends nothing at all (`idleTimeoutMs`). Node checks the first two every
 * `connectionsCheckingInterval`, here a quarter of the shorter one (at most a second).
 */
export function timeoutOptions(limits: LimitsConfig) {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shortest / 4))),
    },
  };
}

/**
 * At most `perClient` open connections per remote address: one more is closed as soon as it is
 * accepted, before anything is read from it.
 */
export function limitConnectionsPerClient(server: Server, perClient: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > perClient) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
