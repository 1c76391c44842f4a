import type { FastifyInstance } from 'fastify';
import * as actions from '../actions.js';
import type { User } from '../store.js';
import { formFields, parseCursor, safeNext } from '../validation.js';
import * as views from '../views/index.js';
import { cursorOf } from './context.js';
import type { RouteContext } from './context.js';
import { afterForm, requireUser, sendPage } from './page.js';

/** People: the list, profiles (with their own pins), followers and following, follow buttons. */
export function registerPeopleRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { runtime, store, pageSize } = ctx;
  const { feeds } = runtime;

  async function userFeedPage(profileId: number, viewer: User | null, before: string | undefined) {
    const feed = feeds.user.for(profileId);
    const activities = await (before ? feed.filter({ activityIdLt: before }) : feed).get({
      limit: pageSize,
    });
    return {
      views: await ctx.pinViews(
        activities.map((a) => Number(a.objectId)),
        viewer,
      ),
      cursor: cursorOf(activities, pageSize),
    };
  }

  app.get('/people', async (request, reply) => {
    const page = await ctx.pageContext(request);
    const people = await ctx.peopleWithState(await ctx.allUsers(), page.user);
    people.sort((a, b) => b.followers - a.followers || a.user.id - b.user.id);
    return sendPage(
      reply,
      views.peopleList(
        page,
        'People',
        'Everyone on Pinstream, most followed first. Following someone copies their recent pins into your feeds right away.',
        people,
        !page.user,
      ),
    );
  });

  app.get('/u/:userId', async (request, reply) => {
    const profile = await ctx.loadUser((request.params as { userId: string }).userId);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const viewer = request.user;
    const [boards, counts, following, pins, isFollowing, page] = await Promise.all([
      store.listBoards(profile.id),
      store.followerCounts([profile.id]),
      store.followingCount(profile.id),
      feeds.user.for(profile.id).count(),
      viewer && viewer.id !== profile.id
        ? store.followsOf(viewer.id, [profile.id]).then((set) => set.has(profile.id))
        : Promise.resolve(false),
      userFeedPage(profile.id, viewer, before),
    ]);
    const boardCounts = await store.countBoardPins(boards.map((b) => b.id));
    return sendPage(
      reply,
      views.profilePage(await ctx.pageContext(request), {
        profile,
        boards: boards.map((board) => ({ ...board, pins: boardCounts.get(board.id) ?? 0 })),
        followers: counts.get(profile.id) ?? 0,
        following,
        pins,
        isFollowing,
        views: page.views,
        cursor: page.cursor,
      }),
    );
  });

  app.get('/more/user/:userId', async (request) => {
    const profile = await ctx.loadUser((request.params as { userId: string }).userId);
    const before = parseCursor((request.query as Record<string, unknown>).before);
    const page = await userFeedPage(profile.id, request.user, before);
    return {
      html: views.pinCards(page.views, request.user, `/u/${profile.id}`).value,
      cursor: page.cursor,
    };
  });

  for (const relation of ['followers', 'following'] as const) {
    app.get(`/u/:userId/${relation}`, async (request, reply) => {
      const profile = await ctx.loadUser((request.params as { userId: string }).userId);
      const ids =
        relation === 'followers'
          ? await store.followerIds(profile.id)
          : await store.followingIds(profile.id);
      const users = await store.getUsers(ids.slice(0, 500));
      const page = await ctx.pageContext(request);
      const people = await ctx.peopleWithState([...users.values()], page.user);
      const title =
        relation === 'followers' ? `Followers of ${profile.name}` : `${profile.name} follows`;
      return sendPage(
        reply,
        views.peopleList(page, title, views.plural(ids.length, 'person', 'people'), people),
      );
    });
  }

  for (const verb of ['follow', 'unfollow'] as const) {
    app.post(`/u/:userId/${verb}`, async (request, reply) => {
      const user = requireUser(request);
      const target = await ctx.loadUser((request.params as { userId: string }).userId);
      const fields = formFields(request.body);
      if (verb === 'follow') await actions.follow(runtime, user, target);
      else await actions.unfollow(runtime, user, target);
      const next = safeNext(fields.next, `/u/${target.id}`);
      const followers = (await store.followerCounts([target.id])).get(target.id) ?? 0;
      return afterForm(request, reply, next, {
        following: verb === 'follow',
        followers,
        html: views.followButton(target, verb === 'follow', next).value,
      });
    });
  }
}
