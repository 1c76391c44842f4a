import { InvalidArgumentError } from '@sf/activity';
import type { Activity } from '@sf/activity';
import type { FastifyInstance } from 'fastify';
import type { Board, User } from '../store.js';
import { badRequest, parseCursor, parseId, parseRankedCursor } from '../validation.js';
import * as views from '../views/index.js';
import type { GroupView } from '../views/index.js';
import { cursorOf } from './context.js';
import type { RouteContext } from './context.js';
import { requireUser, sendPage } from './page.js';

/** The home feed (flat, with "load more") and the grouped feed (aggregated by verb and day). */
export function registerFeedRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { runtime, store, pageSize, groupPageSize } = ctx;
  const { feeds, manager } = runtime;

  async function homePage(user: User, before: string | undefined, board?: number) {
    const activities: Activity[] = await manager.readFeed(user.id, 'normal', {
      limit: pageSize,
      filter: {
        ...(before ? { activityIdLt: before } : {}),
        ...(board === undefined ? {} : { extraContext: { board } }),
      },
    });
    return {
      views: await ctx.pinViews(
        activities.map((a) => Number(a.objectId)),
        user,
      ),
      cursor: cursorOf(activities, pageSize),
    };
  }

  /** A page of the "popular" tab: the home feed's "popular" ranking (pulled authors merged in). */
  async function popularPage(user: User, cursor: string | undefined) {
    let page;
    try {
      page = await manager
        .rankedFeed(user.id, 'normal', 'popular')
        .page({ limit: pageSize, cursor });
    } catch (error) {
      if (InvalidArgumentError.isInstance(error))
        throw badRequest(`The paging cursor of the popular tab is not valid: ${error.message}`);
      throw error;
    }
    return {
      views: await ctx.pinViews(
        page.items.map((a) => Number(a.objectId)),
        user,
      ),
      cursor: page.nextCursor,
    };
  }

  async function groupedPage(user: User, before: string | undefined) {
    const feed = feeds.aggregated.for(user.id);
    const groups = await (before ? feed.filter({ activityIdLt: before }) : feed).get({
      limit: groupPageSize,
    });
    const actorIds = new Set<number>();
    const boardIds = new Set<number>();
    const pinIds = new Set<number>();
    for (const group of groups) {
      for (const activity of group.lastActivities) {
        actorIds.add(Number(activity.actorId));
        if (activity.targetId !== null) boardIds.add(Number(activity.targetId));
        pinIds.add(Number(activity.objectId));
      }
    }
    const [users, boards, pins] = await Promise.all([
      store.getUsers([...actorIds]),
      store.getBoards([...boardIds]),
      store.getPins([...pinIds]),
    ]);
    const groupViews: GroupView[] = groups.map((group) => {
      const latest = group.lastActivities;
      const uniq = <T>(values: T[]) => [...new Set(values)];
      return {
        group,
        actors: uniq(latest.map((a) => Number(a.actorId)))
          .map((id) => users.get(id))
          .filter((u): u is User => u !== undefined),
        boards: uniq(
          latest
            .map((a) => a.targetId)
            .filter((id) => id !== null)
            .map(Number),
        )
          .map((id) => boards.get(id))
          .filter((b): b is Board => b !== undefined),
        pins: uniq(latest.map((a) => Number(a.objectId)))
          .map((id) => pins.get(id))
          .filter((p) => p !== undefined),
      };
    });
    return { views: groupViews, cursor: cursorOf(groups, groupPageSize) };
  }

  /** The boards of the home feed's pins with their counts (from the feed's board index), most first. */
  async function boardFilters(user: User, current: number | undefined) {
    const counts = await feeds.normal.for(user.id).countBy('board');
    const boards = await store.getBoards(Object.keys(counts).map(Number));
    return Object.entries(counts)
      .flatMap(([id, count]) => {
        const board = boards.get(Number(id));
        return board ? [{ board, count, current: board.id === current }] : [];
      })
      .sort((a, b) => b.count - a.count || a.board.id - b.board.id)
      .slice(0, 12);
  }

  app.get('/', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const before = parseCursor(query.before);
    const board =
      query.board === undefined || query.board === '' ? undefined : parseId(query.board, 'board');
    const page = await ctx.pageContext(request);
    if (!page.user) {
      const people = await ctx.peopleWithState(await ctx.allUsers(), null);
      people.sort((a, b) => b.followers - a.followers || a.user.id - b.user.id);
      return sendPage(reply, views.pickUserPage(page, people));
    }
    // Opening the home feed is what makes a user active: back after SF_INACTIVE_DAYS, the
    // feeds fanouts skipped are rebuilt in the background (the page says so, and fills in when
    // the rebuild's end is pushed on /events).
    const { status } = await manager.touchUser(page.user.id);
    const [home, following, pulled, filters] = await Promise.all([
      homePage(page.user, before, board),
      store.followingCount(page.user.id),
      runtime.config.maxFanoutFollowers === undefined
        ? Promise.resolve(0)
        : store.followingIds(page.user.id).then(async (ids) => {
            const counts = await store.followerCounts(ids);
            return ids.filter((id) => (counts.get(id) ?? 0) > runtime.config.maxFanoutFollowers!)
              .length;
          }),
      boardFilters(page.user, board),
    ]);
    return sendPage(
      reply,
      views.homePage(page, home.views, home.cursor, {
        following,
        pulled,
        filters,
        board,
        rebuilding: status === 'rebuilding',
      }),
    );
  });

  // Whether the home feed is still being rebuilt: the banner's fallback (asked when its event
  // stream opens, and slowly), the end itself being pushed on /events as `feed-ready`.
  app.get('/feed-status', async (request) => {
    const user = requireUser(request);
    return manager.feedStatus(user.id);
  });

  app.get('/more/home', async (request) => {
    const user = requireUser(request);
    const query = request.query as Record<string, unknown>;
    const before = parseCursor(query.before);
    const board =
      query.board === undefined || query.board === '' ? undefined : parseId(query.board, 'board');
    const page = await homePage(user, before, board);
    return { html: views.pinCards(page.views, user, '/').value, cursor: page.cursor };
  });

  app.get('/popular', async (request, reply) => {
    const user = requireUser(request);
    const cursor = parseRankedCursor((request.query as Record<string, unknown>).before);
    const page = await popularPage(user, cursor);
    return sendPage(
      reply,
      views.popularPage(await ctx.pageContext(request), page.views, page.cursor),
    );
  });

  app.get('/more/popular', async (request) => {
    const user = requireUser(request);
    const cursor = parseRankedCursor((request.query as Record<string, unknown>).before);
    const page = await popularPage(user, cursor);
    return { html: views.pinCards(page.views, user, '/popular').value, cursor: page.cursor };
  });

  app.get('/grouped', async (request, reply) => {
    const user = requireUser(request);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const page = await groupedPage(user, before);
    return sendPage(
      reply,
      views.groupedPage(await ctx.pageContext(request), page.views, page.cursor),
    );
  });

  app.get('/more/grouped', async (request) => {
    const user = requireUser(request);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const page = await groupedPage(user, before);
    return {
      html: page.views.map((view) => views.groupCard(view).value).join(''),
      cursor: page.cursor,
    };
  });
}
