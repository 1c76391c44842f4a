import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpLimits } from '../../src/http-edge.js';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { buildApp } from '../../src/server.js';

/**
 * Slow and greedy clients over real TCP sockets on 127.0.0.1: a trickled body or header is cut
 * off after the configured timeout with the app's 408 page, connections over the per-client
 * bound are closed, and malformed HTTP gets the app's HTML error page. The only timing asserted
 * is a generous "closed within".
 */
const CLOSED_WITHIN_MS = 10_000;

let runtime: Runtime;
const apps: FastifyInstance[] = [];
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];

beforeAll(async () => {
  runtime = await createRuntime({ storage: 'memory' });
});

afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const app of apps.splice(0)) await app.close();
});

afterAll(async () => {
  await runtime?.close();
});

async function serve(http: Partial<HttpLimits>): Promise<number> {
  const app = await buildApp({ runtime, cookieSecret: 'slow clients test secret', http });
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

interface Client {
  socket: Socket;
  /** Everything the server sent. */
  received: () => string;
  /** Resolves when the server closed the connection, with the time it took. */
  closed: Promise<number>;
  connected: Promise<void>;
}

function client(port: number): Client {
  const started = Date.now();
  const socket = connect({ port, host: '127.0.0.1' });
  sockets.push(socket);
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(Date.now() - started)),
  );
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => data, closed, connected };
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
function trickle(socket: Socket, text: string, everyMs = 100): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]!);
  }, everyMs);
  timers.push(timer);
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} was still open after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

describe('slow clients are timed out', () => {
  it('closes a connection that trickles its body, with the 408 page', async () => {
    const port = await serve({ headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const c = client(port);
    await c.connected;
    c.socket.write(
      `POST /boards HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Origin: http://127.0.0.1:${port}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
    );
    trickle(c.socket, `name=${'x'.repeat(995)}`);
    await within(c.closed, CLOSED_WITHIN_MS, 'the slow-body socket');
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received()).toMatch(/content-type: text\/html/i);
    expect(c.received()).toContain('The request was not received in time.');
  });

  it('closes a connection that trickles its headers', async () => {
    const port = await serve({ headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const c = client(port);
    await c.connected;
    c.socket.write('GET /people HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    trickle(c.socket, `X-Slow: ${'y'.repeat(500)}\r\n\r\n`);
    await within(c.closed, CLOSED_WITHIN_MS, 'the slow-header socket');
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('connections per client', () => {
  it('closes connections over the bound and accepts new ones once others close', async () => {
    const port = await serve({ maxConnectionsPerClient: 5 });
    const held = Array.from({ length: 5 }, () => client(port));
    await Promise.all(held.map((c) => c.connected));
    // A request on each proves the server accepted all five.
    for (const c of held) c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await expect.poll(() => held.every((c) => c.received().startsWith('HTTP/1.1 200'))).toBe(true);
    const extra = Array.from({ length: 20 }, () => client(port));
    for (const c of extra) {
      c.socket.once('connect', () =>
        c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      );
    }
    await within(Promise.all(extra.map((c) => c.closed)), CLOSED_WITHIN_MS, 'an extra socket');
    expect(extra.map((c) => c.received())).toEqual(extra.map(() => ''));
    expect(held.every((c) => !c.socket.destroyed)).toBe(true);
    // One of the five leaves: a new connection is served.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    await expect
      .poll(async () => {
        const c = client(port);
        c.socket.once('connect', () =>
          c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'),
        );
        await within(c.closed, CLOSED_WITHIN_MS, 'the new socket');
        return c.received().slice(0, 12);
      })
      .toBe('HTTP/1.1 200');
  });
});

describe("client errors below routing get the app's HTML page", () => {
  it('answers unparsable HTTP with a 400 page', async () => {
    const port = await serve({});
    const c = client(port);
    await c.connected;
    c.socket.write('NOT HTTP AT ALL\r\n\r\n');
    await within(c.closed, CLOSED_WITHIN_MS, 'the socket');
    expect(c.received()).toMatch(/^HTTP\/1\.1 400 /);
    expect(c.received()).toMatch(/content-type: text\/html/i);
    expect(c.received()).toContain('data-testid="error"');
    expect(c.received()).toContain('The request could not be read.');
  });

  it('answers oversized headers with a 431 page', async () => {
    const port = await serve({});
    const c = client(port);
    await c.connected;
    c.socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'z'.repeat(20_000)}\r\n\r\n`);
    await within(c.closed, CLOSED_WITHIN_MS, 'the socket');
    expect(c.received()).toMatch(/^HTTP\/1\.1 431 /);
    expect(c.received()).toMatch(/content-type: text\/html/i);
    expect(c.received()).toContain('The request headers are too large.');
  });
});
