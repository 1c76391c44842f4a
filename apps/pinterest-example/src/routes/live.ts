import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';
import { requireUser } from './page.js';

/**
 * Live unseen/unread counts and "your feed is ready" (GET /events, server-sent events): one
 * subscription to the notification feed's count changes and, with SF_INACTIVE_DAYS, one to the
 * ends of feed rebuilds (`manager.subscribeRebuilds`), each hearing this process and every other
 * through the backend's cross-process events (Redis pub/sub, PostgreSQL LISTEN/NOTIFY), fanned
 * out to the user's open event streams as `event: counts` and `event: feed-ready`. Returns the
 * unsubscribe of those subscriptions.
 */
const FEED_READY = 'event: feed-ready\ndata: {"status":"ready"}\n\n';

export async function registerLiveRoutes(
  app: FastifyInstance,
  ctx: RouteContext,
): Promise<() => Promise<void>> {
  const { feeds } = ctx.runtime;
  const streams = new Map<string, Set<ServerResponse>>();
  const writeCounts = (res: ServerResponse, counts: { unseen: number; unread: number }) =>
    res.write(
      `event: counts\ndata: ${JSON.stringify({ unseen: counts.unseen, unread: counts.unread })}\n\n`,
    );
  const unsubscribeCounts = await feeds.notification.subscribe((event) => {
    for (const res of streams.get(event.userId) ?? []) writeCounts(res, event);
  });
  // A worker (or this process) finished rebuilding a returning user's feeds: their open pages
  // fill the grid in and drop the "being prepared" banner, without asking /feed-status.
  let unsubscribeRebuilds: (() => Promise<void>) | undefined;
  if (ctx.runtime.config.inactiveAfterMs !== undefined) {
    try {
      unsubscribeRebuilds = await ctx.runtime.manager.subscribeRebuilds((event) => {
        for (const res of streams.get(event.userId) ?? []) res.write(FEED_READY);
      });
    } catch (error) {
      await unsubscribeCounts();
      throw error;
    }
  }
  const unsubscribe = async () => {
    await Promise.all([unsubscribeCounts(), unsubscribeRebuilds?.()]);
  };

  app.get('/events', async (request, reply) => {
    const user = requireUser(request);
    const counts = await feeds.notification.for(user.id).counts();
    reply.hijack();
    const res = reply.raw;
    // A long-lived stream: its heartbeats, not the idle timeout, keep it honest.
    res.socket?.setTimeout(0);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 3000\n\n');
    writeCounts(res, counts);
    const key = String(user.id);
    const set = streams.get(key) ?? new Set<ServerResponse>();
    set.add(res);
    streams.set(key, set);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 20_000);
    heartbeat.unref();
    const done = () => {
      clearInterval(heartbeat);
      set.delete(res);
      if (set.size === 0 && streams.get(key) === set) streams.delete(key);
    };
    res.on('close', done);
    res.on('error', done);
  });

  app.addHook('preClose', async () => {
    for (const set of streams.values()) for (const res of set) res.end();
    streams.clear();
  });
  return unsubscribe;
}
