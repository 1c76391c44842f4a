import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import type { DomainStore, Pin, User } from '../store.js';
import { notFound, parseId, safeNext } from '../validation.js';
import type { PageContext, PinView } from '../views/index.js';

/** What every route module gets from buildApp (server.ts). */
export interface RouteContext {
  runtime: Runtime;
  /** The checked store: corrupt records are skipped, logged and counted. */
  store: DomainStore;
  /** Pins per page of the home and profile feeds. */
  pageSize: number;
  /** Groups per page of the grouped feed. */
  groupPageSize: number;
  /** Every user (cached for 3 s: the switcher of every page lists them). */
  allUsers(): Promise<User[]>;
  /** Drops the cache of allUsers (a new user joined). */
  forgetUsers(): void;
  pageContext(request: FastifyRequest): Promise<PageContext>;
  pinViews(pinIds: readonly number[], viewer: User | null): Promise<PinView[]>;
  loadUser(raw: unknown): Promise<User>;
  loadPin(raw: unknown): Promise<Pin>;
  peopleWithState(
    users: readonly User[],
    viewer: User | null,
  ): Promise<Array<{ user: User; followers: number; following: boolean }>>;
}

/** The cursor of the next page: the last item's id when the page is full. */
export const cursorOf = (
  items: ReadonlyArray<{ serializationId: string }>,
  limit: number,
): string | null =>
  items.length === limit && items.length > 0 ? items[items.length - 1]!.serializationId : null;

export function createRouteContext(options: {
  runtime: Runtime;
  store: DomainStore;
  pageSize: number;
  groupPageSize: number;
}): RouteContext {
  const { runtime, store } = options;
  const { feeds } = runtime;

  let usersCache: { at: number; users: User[] } | undefined;
  async function allUsers(): Promise<User[]> {
    if (!usersCache || Date.now() - usersCache.at > 3000)
      usersCache = { at: Date.now(), users: await store.listUsers() };
    return usersCache.users;
  }

  async function pageContext(request: FastifyRequest): Promise<PageContext> {
    const user = request.user;
    let unseen = 0;
    if (user) {
      try {
        unseen = await feeds.notification.for(user.id).countUnseen();
      } catch {
        unseen = 0;
      }
    }
    let users: User[] = [];
    try {
      users = await allUsers();
    } catch {
      users = user ? [user] : [];
    }
    return {
      user,
      users: users.slice(0, 500),
      unseen,
      path: safeNext(request.url, '/'),
      mode: runtime.describe,
    };
  }

  async function pinViews(pinIds: readonly number[], viewer: User | null): Promise<PinView[]> {
    const ids = [...new Set(pinIds)];
    const pins = await store.getPins(ids);
    const found = ids.filter((id) => pins.has(id));
    const [authors, boards, loves, loved] = await Promise.all([
      store.getUsers([...new Set(found.map((id) => pins.get(id)!.userId))]),
      store.getBoards([...new Set(found.map((id) => pins.get(id)!.boardId))]),
      store.loveCounts(found),
      viewer ? store.lovedBy(viewer.id, found) : Promise.resolve(new Set<number>()),
    ]);
    return found.map((id) => {
      const pin = pins.get(id)!;
      return {
        pin,
        author: authors.get(pin.userId),
        board: boards.get(pin.boardId),
        loves: loves.get(id) ?? 0,
        loved: loved.has(id),
      };
    });
  }

  async function loadUser(raw: unknown): Promise<User> {
    const id = parseId(raw, 'user id');
    const user = await store.getUser(id);
    if (!user) throw notFound(`There is nobody with user id ${id}.`);
    return user;
  }

  async function loadPin(raw: unknown): Promise<Pin> {
    const id = parseId(raw, 'pin id');
    const pin = await store.getPin(id);
    if (!pin) throw notFound(`There is no pin with id ${id}.`);
    return pin;
  }

  async function peopleWithState(users: readonly User[], viewer: User | null) {
    const ids = users.map((u) => u.id);
    const [followers, following] = await Promise.all([
      store.followerCounts(ids),
      viewer ? store.followsOf(viewer.id, ids) : Promise.resolve(new Set<number>()),
    ]);
    return users.map((user) => ({
      user,
      followers: followers.get(user.id) ?? 0,
      following: following.has(user.id),
    }));
  }

  return {
    runtime,
    store,
    pageSize: options.pageSize,
    groupPageSize: options.groupPageSize,
    allUsers,
    forgetUsers: () => {
      usersCache = undefined;
    },
    pageContext,
    pinViews,
    loadUser,
    loadPin,
    peopleWithState,
  };
}
