import type { FastifyInstance } from 'fastify';
import { HOME_MAX_LENGTH } from '../feeds.js';
import * as views from '../views/index.js';
import type { RouteContext } from './context.js';
import { sendPage } from './page.js';

/** The stats page (and its fragment and JSON): queue, totals, feed sizes, settings. */
export function registerStatsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { runtime, store } = ctx;
  const { feeds, manager } = runtime;

  // Several open stats pages refresh every 2 s: they share one computation per second.
  let statsCache: { at: number; view: Promise<views.StatsView> } | undefined;
  function statsView(): Promise<views.StatsView> {
    if (!statsCache || Date.now() - statsCache.at > 1000) {
      const view = computeStats();
      statsCache = { at: Date.now(), view };
      view.catch(() => {
        if (statsCache?.view === view) statsCache = undefined;
      });
    }
    return statsCache.view;
  }

  async function computeStats(): Promise<views.StatsView> {
    await runtime.metrics.flush();
    const [queue, totals, counters, lastFanout, users] = await Promise.all([
      runtime.queueStats(),
      store.totals(),
      store.readStats(),
      store.getLastFanout(),
      ctx.allUsers(),
    ]);
    const ids = users.map((u) => u.id);
    const sum = async (count: (id: number) => Promise<number>) => {
      let feedsWithEntries = 0;
      let entries = 0;
      for (let i = 0; i < ids.length; i += 200) {
        const counts = await Promise.all(ids.slice(i, i + 200).map(count));
        for (const n of counts) {
          entries += n;
          if (n > 0) feedsWithEntries++;
        }
      }
      return { feeds: feedsWithEntries, entries };
    };
    const [normal, aggregated, notification, user, unseen] = await Promise.all([
      sum((id) => feeds.normal.for(id).count()),
      sum((id) => feeds.aggregated.for(id).count()),
      sum((id) => feeds.notification.for(id).count()),
      sum((id) => feeds.user.for(id).count()),
      sum((id) => feeds.notification.for(id).countUnseen()),
    ]);
    const author = lastFanout ? await store.getUser(lastFanout.userId) : undefined;
    return {
      queue,
      totals,
      counters,
      lastFanout: lastFanout && { ...lastFanout, ...(author ? { author } : {}) },
      feeds: [
        {
          name: 'normal',
          description: `home feeds (flat, newest first, max ${HOME_MAX_LENGTH})`,
          ...normal,
        },
        { name: 'aggregated', description: 'grouped feeds (verb + day)', ...aggregated },
        {
          name: 'notification',
          description: 'notification feeds (verb + object + day)',
          ...notification,
          extra: `${unseen.entries} unseen in all`,
        },
        { name: 'user', description: "people's own pins", ...user },
      ],
      settings: [
        ['storage', runtime.describe.storage],
        ['fanout', runtime.describe.queue],
        ['fanout chunk size', `${manager.fanoutChunkSize} followers per task`],
        [
          'large accounts',
          manager.maxFanoutFollowers === Infinity
            ? 'always pushed (set SF_MAX_FANOUT_FOLLOWERS to pull large accounts at read time)'
            : `more than ${manager.maxFanoutFollowers} followers: pulled into home feeds at read time`,
        ],
        [
          'HIGH priority',
          `followers active in the last ${Math.round(runtime.config.activeWindowMs / 86_400_000)} days`,
        ],
      ],
    };
  }

  app.get('/stats', async (request, reply) =>
    sendPage(reply, views.statsPage(await ctx.pageContext(request), await statsView())),
  );
  app.get('/stats/fragment', async (_request, reply) =>
    sendPage(reply, views.statsBody(await statsView())),
  );
  app.get('/stats.json', async () => {
    const view = await statsView();
    return {
      queue: view.queue,
      totals: view.totals,
      counters: view.counters,
      lastFanout: view.lastFanout ?? null,
      feeds: view.feeds,
    };
  });
}
