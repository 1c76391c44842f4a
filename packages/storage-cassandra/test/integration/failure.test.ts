import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '@sf/activity';
import { Feed } from '@sf/feeds';
import {
  CassandraTimeoutError,
  CassandraUnavailableError,
  cassandraStorage,
} from '../../src/index.js';
import type { CassandraStorage } from '../../src/index.js';
import { contactPoints, keyspace, localDataCenter } from './helpers.js';

const servers: Server[] = [];
const storages: CassandraStorage[] = [];

afterEach(async () => {
  await Promise.all(storages.splice(0).map((storage) => storage.close().catch(() => undefined)));
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer(onSocket);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function storageAt(
  port: number,
  options: { connectTimeout?: number; requestTimeout?: number } = {},
): CassandraStorage {
  const storage = cassandraStorage({
    contactPoints: [`127.0.0.1:${port}`],
    localDataCenter,
    keyspace,
    autoSchema: true,
    ...options,
  });
  storages.push(storage);
  return storage;
}

describe('an unreachable cluster', () => {
  it('fails fast with CassandraUnavailableError when nothing listens on the port', async () => {
    const port = await listen(() => undefined);
    await new Promise((resolve) => servers.pop()!.close(resolve)); // the port is free now
    const storage = storageAt(port, { connectTimeout: 3000 });
    const feed = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage }).for(1);
    const started = Date.now();
    const error = await feed.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CassandraUnavailableError);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    // refused at once, not given up on after connectTimeout (bound loose for busy machines)
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(3000 + 5000);
    // each call tries again (and fails the same way), nothing hangs
    await expect(feed.count()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('gives up after connectTimeout when the port accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const port = await listen((socket) => void sockets.push(socket));
    const storage = storageAt(port, { connectTimeout: 1000 });
    const started = Date.now();
    const error = await storage.connect().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(CassandraUnavailableError);
    expect((error as Error).message).toMatch(/connectTimeout 1000 ms/);
    // no hang: it gives up at connectTimeout (the bound is loose for busy machines)
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(1000 + 10_000);
    for (const socket of sockets) socket.destroy();
  });

  it('connects once the cluster is back', async () => {
    const port = await listen(() => undefined);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const [host, realPort] = (contactPoints[0] ?? '127.0.0.1:9042').split(':') as [
      string,
      string | undefined,
    ];
    // a proxy that refuses until it is switched on
    let up = false;
    const proxy = createServer((socket) => {
      if (!up) return socket.destroy();
      const upstream = connect(Number(realPort ?? 9042), host);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    servers.push(proxy);
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    const storage = storageAt(port, { connectTimeout: 3000 });
    await expect(storage.connect()).rejects.toBeInstanceOf(CassandraUnavailableError);
    up = true;
    await storage.connect();
    expect(
      await Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage })
        .for(1)
        .count(),
    ).toBe(0);
  });
});

describe('a node that stops answering', () => {
  it('fails a query with CassandraTimeoutError after requestTimeout', async () => {
    const [host, port] = (contactPoints[0] ?? '127.0.0.1:9042').split(':') as [
      string,
      string | undefined,
    ];
    let stalled = false;
    const proxyPort = await listen((client) => {
      const upstream = connect(Number(port ?? 9042), host);
      client.on('data', (data) => upstream.write(data));
      upstream.on('data', (data) => {
        if (!stalled) client.write(data);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    const storage = storageAt(proxyPort, { requestTimeout: 800 });
    const feed = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage }).for(1);
    expect(await feed.count()).toBe(0);
    stalled = true;
    const started = Date.now();
    const error = await feed.count().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CassandraTimeoutError);
    expect((error as Error).message).toMatch(
      /timeline\.count on .*normal for feed "feed:normal:1"/,
    );
    expect(Date.now() - started).toBeLessThan(800 + 10_000); // no hang (loose bound for busy machines)
  });
});
