import type { AggregatedActivity, NotificationActivity } from '@sf/activity';
import { Follow, Love, Pin as PinVerb } from './feeds.js';
import { html, join, raw } from './html.js';
import type { HtmlValue, SafeHtml } from './html.js';
import { PIN_WIDTH, pinHeight } from './images.js';
import type { QueueStats } from './runtime.js';
import { PATTERNS } from './store.js';
import type { Board, LastFanout, Pin, StatsCounters, Totals, User } from './store.js';

/** What every page knows: who is acting, who they can switch to, their unseen count. */
export interface PageContext {
  user: User | null;
  /** People in the switcher. */
  users: readonly User[];
  unseen: number;
  /** The current path (the switcher comes back to it). */
  path: string;
  mode: { storage: string; queue: string };
}

export interface PageOptions {
  title: string;
  active?: 'home' | 'grouped' | 'notifications' | 'people' | 'stats' | 'new' | 'profile';
  body: SafeHtml;
  /** Extra class on <main>. */
  wide?: boolean;
}

const NAV: Array<{
  key: NonNullable<PageOptions['active']>;
  href: string;
  label: string;
  needsUser: boolean;
}> = [
  { key: 'home', href: '/', label: 'Home', needsUser: true },
  { key: 'grouped', href: '/grouped', label: 'Grouped', needsUser: true },
  { key: 'notifications', href: '/notifications', label: 'Notifications', needsUser: true },
  { key: 'people', href: '/people', label: 'People', needsUser: false },
  { key: 'stats', href: '/stats', label: 'Stats', needsUser: false },
];

// ----------------------------------------------------------------------------- formatting

export function timeAgo(time: number | Date, now = Date.now()): string {
  const ms = now - (time instanceof Date ? time.getTime() : time);
  const s = Math.round(ms / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 14) return d === 1 ? 'yesterday' : `${d} days ago`;
  const w = Math.round(d / 7);
  if (w < 9) return `${w} weeks ago`;
  return new Date(time).toISOString().slice(0, 10);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function number(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function time(value: number | Date): SafeHtml {
  const date = value instanceof Date ? value : new Date(value);
  return html`<time datetime="${date.toISOString()}" title="${date.toUTCString()}"
    >${timeAgo(date)}</time
  >`;
}

// ----------------------------------------------------------------------------- components

export function avatar(
  user: Pick<User, 'id' | 'name'>,
  size: 24 | 32 | 40 | 64 | 96 = 32,
): SafeHtml {
  return html`<img
    class="avatar s${size}"
    src="/img/avatars/${user.id}.svg"
    width="${size}"
    height="${size}"
    alt=""
    loading="lazy"
  />`;
}

export function userLink(user: Pick<User, 'id' | 'name'> | undefined): SafeHtml {
  if (!user) return html`<span class="muted">someone</span>`;
  return html`<a class="user-link" href="/u/${user.id}">${user.name}</a>`;
}

function hiddenNext(next: string): SafeHtml {
  return html`<input type="hidden" name="next" value="${next}" />`;
}

export function followButton(target: User, following: boolean, next: string): SafeHtml {
  const action = following ? 'unfollow' : 'follow';
  return html`<form
    class="inline follow-form"
    method="post"
    action="/u/${target.id}/${action}"
    data-ajax
  >
    ${hiddenNext(next)}
    <button
      type="submit"
      class="${following ? 'btn btn-secondary' : 'btn btn-primary'}"
      data-testid="${action}-${target.id}"
    >
      ${following ? 'Following' : 'Follow'}
    </button>
  </form>`;
}

export function loveButton(
  pin: Pin,
  count: number,
  loved: boolean,
  canLove: boolean,
  next: string,
): SafeHtml {
  const label = html`<span class="heart" aria-hidden="true">${loved ? '♥' : '♡'}</span>
    <span class="count">${count}</span>`;
  if (!canLove || loved) {
    return html`<span
      class="love ${loved ? 'loved' : ''}"
      title="${loved ? 'You love this' : `${plural(count, 'love')}`}"
      >${label}</span
    >`;
  }
  return html`<form class="inline love-form" method="post" action="/pins/${pin.id}/love" data-ajax>
    ${hiddenNext(next)}
    <button type="submit" class="love" title="Love this pin" data-testid="love-${pin.id}">
      ${label}
    </button>
  </form>`;
}

export interface PinView {
  pin: Pin;
  author: User | undefined;
  board: Board | undefined;
  loves: number;
  loved: boolean;
}

export function pinImage(pin: Pin, className = 'pin-img'): SafeHtml {
  return html`<img
    class="${className}"
    src="/img/pins/${pin.id}.svg"
    width="${PIN_WIDTH}"
    height="${pinHeight(pin)}"
    alt="${pin.title}"
    loading="lazy"
  />`;
}

export function pinCard(view: PinView, viewer: User | null, next: string): SafeHtml {
  const { pin, author, board } = view;
  return html`<article class="pin-card" data-pin="${pin.id}">
    <a href="/pins/${pin.id}" class="pin-link">${pinImage(pin)}</a>
    <div class="pin-body">
      <a href="/pins/${pin.id}" class="pin-title">${pin.title}</a>
      <div class="pin-meta">
        ${author ? avatar(author, 24) : ''}
        <span
          >${userLink(author)}${board ? html` <span class="muted">on</span> <a href="/boards/${board.id}">${board.name}</a>` : ''}</span
        >
      </div>
      <div class="pin-foot">
        ${time(pin.createdAt)} ${loveButton(pin, view.loves, view.loved, viewer !== null, next)}
      </div>
    </div>
  </article>`;
}

export function pinCards(views: readonly PinView[], viewer: User | null, next: string): SafeHtml {
  return join(views.map((view) => pinCard(view, viewer, next)));
}

/** The "load more" button: static.js fetches `url?before=cursor` and appends to `target`. */
export function loadMore(
  url: string,
  cursor: string | null,
  target: string,
  label = 'Load more',
): SafeHtml {
  if (!cursor)
    return html`<p class="end muted" data-testid="feed-end">You have reached the end.</p>`;
  const href = `${url}${url.includes('?') ? '&' : '?'}before=${cursor}`;
  return html`<div class="more">
    <a
      class="btn btn-secondary"
      href="${href}"
      data-more="${url}"
      data-cursor="${cursor}"
      data-target="${target}"
      data-testid="load-more"
      >${label}</a
    >
  </div>`;
}

function emptyState(title: string, text: HtmlValue, action?: SafeHtml): SafeHtml {
  return html`<div class="empty">
    <h2>${title}</h2>
    <p>${text}</p>
    ${action ?? ''}
  </div>`;
}

// ----------------------------------------------------------------------------- layout

function switcher(ctx: PageContext): SafeHtml {
  const options = ctx.users.map(
    (user) =>
      html`<option value="${user.id}" ${ctx.user?.id === user.id ? raw('selected') : ''}>
        ${user.name} (@${user.handle})
      </option>`,
  );
  return html`<form class="switcher" method="post" action="/switch">
    ${hiddenNext(ctx.path)}
    <label
      ><span class="switcher-label">You are</span>
      <select name="userId" data-autosubmit data-testid="switcher" aria-label="Act as">
        ${ctx.user ? '' : html`<option value="" selected disabled>pick someone…</option>`}
        ${options}
      </select>
    </label>
    <button type="submit" class="btn btn-small switcher-go">Go</button>
  </form>`;
}

export function layout(ctx: PageContext, page: PageOptions): SafeHtml {
  const badge = html`<span
    class="badge"
    id="unseen-badge"
    data-testid="unseen-badge"
    ${ctx.unseen > 0 ? '' : raw('hidden')}
    >${ctx.unseen}</span
  >`;
  const nav = NAV.filter((item) => ctx.user || !item.needsUser).map(
    (item) =>
      html`<a
        href="${item.href}"
        class="${item.key === page.active ? 'nav-link active' : 'nav-link'}"
        >${item.label}${item.key === 'notifications' ? badge : ''}</a
      >`,
  );
  const title =
    ctx.unseen > 0 ? `(${ctx.unseen}) ${page.title} · Pinstream` : `${page.title} · Pinstream`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="stylesheet" href="/static/app.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <script src="/static/app.js" defer></script>
      </head>
      <body data-user="${ctx.user?.id ?? ''}" data-title="${page.title} · Pinstream">
        <header class="topbar">
          <a href="/" class="logo"
            ><span class="logo-mark">P</span><span class="logo-text">Pinstream</span></a
          >
          <nav class="nav">${nav}</nav>
          <div class="topbar-right">
            ${ctx.user ? html`<a href="/pins/new" class="btn btn-primary ${page.active === 'new' ? 'active' : ''}" data-testid="new-pin">+ Pin</a>` : ''}
            ${ctx.user ? html`<a href="/u/${ctx.user.id}" class="me" title="Your profile">${avatar(ctx.user, 32)}</a>` : ''}
            ${switcher(ctx)}
          </div>
        </header>
        <main class="${page.wide ? 'wide' : ''}">${page.body}</main>
        <footer class="footer">
          <span
            >Pinstream: an example app of
            <a href="https://github.com/tschellenbach/Stream-Framework">Stream Framework</a> for
            TypeScript.</span
          >
          <span class="muted" data-testid="mode"
            >Feeds: ${ctx.mode.storage} · Fanout: ${ctx.mode.queue}</span
          >
        </footer>
      </body>
    </html>`;
}

// ----------------------------------------------------------------------------- pages

export function homePage(
  ctx: PageContext,
  views: readonly PinView[],
  cursor: string | null,
  info: { following: number; pulled: number },
): SafeHtml {
  const body =
    views.length === 0 && !cursor
      ? emptyState(
          'Your home feed is empty',
          info.following === 0
            ? 'Follow a few people and their pins show up here, newest first.'
            : 'The people you follow have not pinned anything yet.',
          html`<a class="btn btn-primary" href="/people">Find people to follow</a>`,
        )
      : html`<div class="grid" id="home-grid" data-testid="home-grid">
            ${pinCards(views, ctx.user, ctx.path)}
          </div>
          ${loadMore('/more/home', cursor, 'home-grid')}`;
  return layout(ctx, {
    title: 'Home',
    active: 'home',
    wide: true,
    body: html`<div class="page-head">
        <h1>Home</h1>
        <p class="muted">
          Pins by the ${plural(info.following, 'person', 'people')} you follow, newest first: your
          flat feed, paged by activity
          id.${
            info.pulled > 0
              ? ` ${plural(info.pulled, 'large account')} merged in at read time.`
              : ''
          }
        </p>
      </div>
      ${body}`,
  });
}

export interface GroupView {
  group: AggregatedActivity;
  actors: User[];
  boards: Board[];
  pins: Pin[];
}

export function describeGroup(view: GroupView): SafeHtml {
  const { group, actors, boards } = view;
  const first = actors[0];
  const others = Math.max(0, group.actorCount - 1);
  const who = html`${userLink(first)}${others > 0 ? html` and ${plural(others, 'other')}` : ''}`;
  const verb = group.verbs[0]?.pastTense ?? 'did';
  const boardText =
    boards.length === 0
      ? ''
      : boards.length === 1
        ? html` to <a href="/boards/${boards[0]!.id}">${boards[0]!.name}</a>`
        : html` to <a href="/boards/${boards[0]!.id}">${boards[0]!.name}</a> and
            ${plural(boards.length - 1, 'other board')}`;
  return html`${who} ${verb} ${plural(group.activityCount, 'item')}${boardText}`;
}

export function groupCard(view: GroupView): SafeHtml {
  const { group, pins } = view;
  const shown = pins.slice(0, 8);
  const more = group.activityCount - shown.length;
  return html`<article class="group-card" data-group="${group.serializationId}" data-testid="group">
    <header class="group-head">
      <div class="avatars">${view.actors.slice(0, 4).map((actor) => avatar(actor, 32))}</div>
      <p class="group-text">${describeGroup(view)}</p>
      ${group.updatedAt ? time(group.updatedAt) : ''}
    </header>
    <div class="thumbs">
      ${shown.map((pin) => html`<a href="/pins/${pin.id}" class="thumb" title="${pin.title}">${pinImage(pin, 'thumb-img')}</a>`)}
      ${more > 0 ? html`<span class="thumb more-count">+${more}</span>` : ''}
    </div>
  </article>`;
}

export function groupedPage(
  ctx: PageContext,
  views: readonly GroupView[],
  cursor: string | null,
): SafeHtml {
  const body =
    views.length === 0 && !cursor
      ? emptyState(
          'Nothing to group yet',
          'When the people you follow pin, their pins are grouped here by day.',
          html`<a class="btn btn-primary" href="/people">Find people</a>`,
        )
      : html`<div class="groups" id="groups" data-testid="groups">${views.map(groupCard)}</div>
          ${loadMore('/more/grouped', cursor, 'groups')}`;
  return layout(ctx, {
    title: 'Grouped',
    active: 'grouped',
    body: html`<div class="page-head">
        <h1>Grouped</h1>
        <p class="muted">
          The same pins as your home feed, aggregated by verb and day (an AggregatedFeed with the
          RecentVerbAggregator).
        </p>
      </div>
      ${body}`,
  });
}

export interface NotificationView {
  item: NotificationActivity;
  actors: User[];
  pin: Pin | undefined;
}

function notificationText(view: NotificationView): SafeHtml {
  const { item, actors, pin } = view;
  const others = Math.max(0, item.actorCount - 1);
  const who = html`<strong>${actors[0]?.name ?? 'Someone'}</strong
    >${others > 0 ? html` and ${plural(others, 'other')}` : ''}`;
  const verb = item.verbs[0];
  if (verb?.id === Follow.id) return html`${who} started following you`;
  if (verb?.id === Love.id) {
    return html`${who} loved your pin
    ${pin ? html`“${pin.title}”` : html`<span class="muted">(deleted)</span>`}`;
  }
  return html`${who} ${verb?.pastTense ?? 'did something'}`;
}

function notificationHref(view: NotificationView): string {
  const verb = view.item.verbs[0];
  if (verb?.id === Love.id && view.pin) return `/pins/${view.pin.id}`;
  const actor = view.actors[0];
  return actor ? `/u/${actor.id}` : '/notifications';
}

export function notificationItem(view: NotificationView): SafeHtml {
  const { item } = view;
  const seen = item.isSeen();
  const read = item.isRead();
  return html`<li
    class="notification ${seen ? '' : 'unseen'} ${read ? '' : 'unread'}"
    data-testid="notification"
    data-id="${item.serializationId}"
  >
    <div class="avatars">${view.actors.slice(0, 3).map((actor) => avatar(actor, 40))}</div>
    <div class="notification-body">
      <p>${notificationText(view)}</p>
      <p class="muted small">
        ${item.updatedAt ? time(item.updatedAt) : ''}${seen ? '' : html` · <span class="tag">new</span>`}
      </p>
    </div>
    ${view.pin ? html`<a href="/pins/${view.pin.id}" class="notification-thumb">${pinImage(view.pin, 'thumb-img')}</a>` : ''}
    <form method="post" action="/notifications/read" class="inline">
      <input type="hidden" name="id" value="${item.serializationId}" />
      ${hiddenNext(notificationHref(view))}
      <button
        type="submit"
        class="${read ? 'btn btn-small btn-ghost' : 'btn btn-small btn-secondary'}"
        title="${read ? 'Open' : 'Mark read and open'}"
      >
        ${read ? 'Open' : 'Open · mark read'}
      </button>
    </form>
  </li>`;
}

export function notificationsPage(
  ctx: PageContext,
  views: readonly NotificationView[],
  counts: { unseen: number; unread: number },
): SafeHtml {
  const actions = html`<div class="actions">
    <form method="post" action="/notifications/mark-all" class="inline">
      <input type="hidden" name="what" value="seen" />
      <button
        class="btn btn-secondary"
        type="submit"
        data-testid="mark-all-seen"
        ${counts.unseen === 0 ? raw('disabled') : ''}
      >
        Mark all seen
      </button>
    </form>
    <form method="post" action="/notifications/mark-all" class="inline">
      <input type="hidden" name="what" value="read" />
      <button
        class="btn btn-secondary"
        type="submit"
        data-testid="mark-all-read"
        ${counts.unread === 0 ? raw('disabled') : ''}
      >
        Mark all read
      </button>
    </form>
  </div>`;
  return layout(ctx, {
    title: 'Notifications',
    active: 'notifications',
    body: html`<div class="page-head with-actions">
        <div>
          <h1>Notifications</h1>
          <p class="muted">
            <span data-testid="counts">${counts.unseen} unseen · ${counts.unread} unread</span>.
            Follows and loves, grouped by verb, object and day (a NotificationFeed); the badge
            updates live.
          </p>
        </div>
        ${actions}
      </div>
      ${
        views.length === 0
          ? emptyState(
              'No notifications yet',
              'When someone follows you or loves one of your pins, you hear about it here.',
            )
          : html`<ul class="notifications" data-testid="notifications">
              ${views.map(notificationItem)}
            </ul>`
      }`,
  });
}

export interface ProfileView {
  profile: User;
  boards: Array<Board & { pins: number }>;
  followers: number;
  following: number;
  pins: number;
  isFollowing: boolean;
  views: PinView[];
  cursor: string | null;
}

export function profilePage(ctx: PageContext, view: ProfileView): SafeHtml {
  const { profile } = view;
  const own = ctx.user?.id === profile.id;
  const button = !ctx.user
    ? html`<p class="muted small">Pick who you are to follow ${profile.name}.</p>`
    : own
      ? html`<a class="btn btn-primary" href="/pins/new">+ New pin</a>`
      : followButton(profile, view.isFollowing, ctx.path);
  return layout(ctx, {
    title: profile.name,
    active: own ? 'profile' : 'people',
    wide: true,
    body: html`<section class="profile-head">
        ${avatar(profile, 96)}
        <h1>${profile.name}</h1>
        <p class="muted">@${profile.handle}</p>
        <p class="profile-counts">
          <a href="/u/${profile.id}/followers"
            ><strong data-testid="followers-count">${view.followers}</strong>
            <span data-followers-label>${view.followers === 1 ? 'follower' : 'followers'}</span></a
          >
          · <a href="/u/${profile.id}/following"><strong>${view.following}</strong> following</a> ·
          <strong>${view.pins}</strong> ${view.pins === 1 ? 'pin' : 'pins'}
        </p>
        ${button}
        <div class="board-chips">
          ${view.boards.map(
            (board) =>
              html`<a class="chip" href="/boards/${board.id}"
                >${board.name} <span class="muted">${board.pins}</span></a
              >`,
          )}
        </div>
      </section>
      ${
        view.views.length === 0 && !view.cursor
          ? emptyState(
              own
                ? 'You have not pinned anything yet'
                : `${profile.name} has not pinned anything yet`,
              own ? 'Make your first pin: it goes to everyone who follows you.' : '',
            )
          : html`<div class="grid" id="user-grid" data-testid="user-grid">
                ${pinCards(view.views, ctx.user, ctx.path)}
              </div>
              ${loadMore(`/more/user/${profile.id}`, view.cursor, 'user-grid')}`
      }`,
  });
}

export function peopleList(
  ctx: PageContext,
  title: string,
  intro: HtmlValue,
  people: ReadonlyArray<{ user: User; followers: number; following: boolean }>,
  withJoin = false,
): SafeHtml {
  const cards = people.map(({ user, followers, following }) => {
    const action = !ctx.user
      ? html`<form method="post" action="/switch" class="inline">
          <input type="hidden" name="userId" value="${user.id}" />${hiddenNext('/')}
          <button class="btn btn-primary btn-small" type="submit" data-testid="be-${user.id}">
            Be ${user.name.split(' ')[0]}
          </button>
        </form>`
      : ctx.user.id === user.id
        ? html`<span class="tag">you</span>`
        : followButton(user, following, ctx.path);
    return html`<li class="person">
      <a href="/u/${user.id}">${avatar(user, 64)}</a>
      <div>
        <a href="/u/${user.id}" class="person-name">${user.name}</a>
        <p class="muted small">@${user.handle} · ${plural(followers, 'follower')}</p>
      </div>
      ${action}
    </li>`;
  });
  return layout(ctx, {
    title,
    active: 'people',
    body: html`<div class="page-head">
        <h1>${title}</h1>
        <p class="muted">${intro}</p>
      </div>
      ${withJoin ? joinForm() : ''}
      ${
        people.length === 0
          ? emptyState(
              'Nobody here yet',
              withJoin
                ? html`Join above, or seed a small world with
                    <code>pnpm --filter @sf/pinterest-example seed</code>.`
                : '',
            )
          : html`<ul class="people" data-testid="people">
              ${cards}
            </ul>`
      }`,
  });
}

function joinForm(): SafeHtml {
  return html`<details class="join card">
    <summary>Join as someone new</summary>
    <form method="post" action="/join" class="form-row">
      <label
        >Name
        <input
          name="name"
          required
          maxlength="40"
          placeholder="Ada Lovelace"
          data-testid="join-name"
      /></label>
      <label
        >Handle
        <input
          name="handle"
          maxlength="20"
          pattern="[a-z0-9_]{3,20}"
          placeholder="ada (optional)"
          data-testid="join-handle"
      /></label>
      <button class="btn btn-primary" type="submit" data-testid="join-submit">Join</button>
    </form>
  </details>`;
}

export function boardPage(
  ctx: PageContext,
  board: Board,
  owner: User | undefined,
  views: readonly PinView[],
  cursor: string | null,
  count: number,
): SafeHtml {
  return layout(ctx, {
    title: board.name,
    active: 'people',
    wide: true,
    body: html`<div class="page-head">
        <h1>${board.name}</h1>
        <p class="muted">A board by ${userLink(owner)} · ${plural(count, 'pin')}</p>
      </div>
      ${
        views.length === 0
          ? emptyState('This board is empty', '')
          : html`<div class="grid" id="board-grid">${pinCards(views, ctx.user, ctx.path)}</div>
              ${
                cursor
                  ? html`<div class="more">
                      <a class="btn btn-secondary" href="/boards/${board.id}?before=${cursor}"
                        >Older pins</a
                      >
                    </div>`
                  : ''
              }`
      }`,
  });
}

export function pinPage(ctx: PageContext, view: PinView): SafeHtml {
  const { pin, author, board } = view;
  const own = ctx.user?.id === pin.userId;
  return layout(ctx, {
    title: pin.title,
    body: html`<article class="pin-page card">
      <img
        class="pin-big"
        src="/img/pins/${pin.id}.svg"
        width="${PIN_WIDTH * 1.5}"
        height="${pinHeight(pin) * 1.5}"
        alt="${pin.title}"
      />
      <div class="pin-side">
        <h1>${pin.title}</h1>
        <p class="pin-meta">
          ${author ? avatar(author, 40) : ''}
          <span
            >${userLink(author)}${board ? html` <span class="muted">pinned to</span> <a href="/boards/${board.id}">${board.name}</a>` : ''}</span
          >
        </p>
        <p class="muted">${time(pin.createdAt)}</p>
        <p>${loveButton(pin, view.loves, view.loved, ctx.user !== null, ctx.path)}</p>
        ${
          own
            ? html`<form method="post" action="/pins/${pin.id}/delete" class="inline">
                  <button class="btn btn-danger btn-small" type="submit" data-testid="delete-pin">
                    Delete pin
                  </button>
                </form>
                <p class="muted small">
                  Deleting removes it from every follower's feeds (removeUserActivity).
                </p>`
            : ''
        }
      </div>
    </article>`,
  });
}

export interface NewPinForm {
  boards: Board[];
  values?: { title?: string; boardId?: number; pattern?: string; hue?: number; newBoard?: string };
  error?: string;
}

export const HUES: ReadonlyArray<[string, number]> = [
  ['Coral', 8],
  ['Amber', 38],
  ['Lime', 88],
  ['Jade', 150],
  ['Teal', 180],
  ['Sky', 205],
  ['Indigo', 235],
  ['Violet', 275],
  ['Rose', 330],
];

export function newPinPage(ctx: PageContext, form: NewPinForm): SafeHtml {
  const values = form.values ?? {};
  const boardOptions = form.boards.map(
    (board) =>
      html`<option value="${board.id}" ${values.boardId === board.id ? raw('selected') : ''}>
        ${board.name}
      </option>`,
  );
  return layout(ctx, {
    title: 'New pin',
    active: 'new',
    body: html`<div class="page-head">
        <h1>New pin</h1>
        <p class="muted">
          Your pin goes to your followers' home and grouped feeds through the Manager's fanout.
        </p>
      </div>
      ${form.error ? html`<p class="alert" role="alert">${form.error}</p>` : ''}
      <form method="post" action="/pins" class="card form" data-testid="pin-form">
        <label
          >Title
          <input
            name="title"
            required
            maxlength="80"
            value="${values.title ?? ''}"
            placeholder="Moss garden in Kyoto"
            data-testid="pin-title"
        /></label>
        <label
          >Board
          <select name="boardId" data-testid="pin-board">
            ${boardOptions}
          </select>
        </label>
        <div class="form-row">
          <label
            >Colour
            <select name="hue">
              ${HUES.map(
                ([name, hue]) =>
                  html`<option value="${hue}" ${values.hue === hue ? raw('selected') : ''}>
                    ${name}
                  </option>`,
              )}
            </select></label
          >
          <label
            >Pattern
            <select name="pattern">
              <option value="random">Surprise me</option>
              ${PATTERNS.map(
                (pattern) =>
                  html`<option
                    value="${pattern}"
                    ${values.pattern === pattern ? raw('selected') : ''}
                  >
                    ${pattern}
                  </option>`,
              )}
            </select></label
          >
        </div>
        <button class="btn btn-primary" type="submit" data-testid="pin-submit">Pin it</button>
      </form>
      <form method="post" action="/boards" class="card form form-row">
        <label
          >New board
          <input
            name="name"
            required
            maxlength="40"
            placeholder="Kitchen ideas"
            value="${values.newBoard ?? ''}"
        /></label>
        <button class="btn btn-secondary" type="submit">Create board</button>
      </form>`,
  });
}

export interface StatsView {
  queue: QueueStats;
  totals: Totals;
  counters: StatsCounters;
  lastFanout: (LastFanout & { author?: User }) | undefined;
  feeds: Array<{
    name: string;
    description: string;
    feeds: number;
    entries: number;
    extra?: string;
  }>;
  settings: Array<[string, string]>;
}

function statRow(label: string, value: HtmlValue): SafeHtml {
  return html`<tr>
    <th scope="row">${label}</th>
    <td>${value}</td>
  </tr>`;
}

export function statsBody(view: StatsView): SafeHtml {
  const { queue, totals, counters, lastFanout } = view;
  const states = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
  const feedNames = ['normal', 'aggregated', 'notification', 'user'];
  const recordKinds = ['user', 'board', 'pin'];
  const c = (name: string) => counters[name] ?? 0;
  const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
  return html`<div class="stats" id="stats" data-testid="stats">
    <section class="card">
      <h2>
        Fanout queue
        <span class="muted small"
          >(${queue.kind === 'bullmq' ? 'BullMQ jobs in Redis' : 'in-process tasks'})</span
        >
      </h2>
      <table class="table" data-testid="queue-table">
        <thead>
          <tr>
            <th>priority</th>
            ${states.map((s) => html`<th>${s}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${Object.entries(queue.counts).map(
            ([priority, counts]) =>
              html`<tr>
                <th scope="row">${priority}</th>
                ${states.map((s) => html`<td class="${s === 'failed' && counts[s] > 0 ? 'bad' : ''}">${number(counts[s])}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="muted small">
        HIGH: followers active in the last days; LOW: everyone else.
        ${queue.kind === 'bullmq' ? 'Completed jobs are kept for an hour (up to 1000).' : ''}
      </p>
    </section>
    <section class="card">
      <h2>Last fanout</h2>
      ${
        lastFanout
          ? html`<table class="table">
              <tbody>
                ${statRow(
                  'what',
                  lastFanout.pinId !== undefined
                    ? html`<a href="/pins/${lastFanout.pinId}">pin #${lastFanout.pinId}</a> by
                        ${userLink(lastFanout.author)}`
                    : lastFanout.what,
                )}
                ${statRow(lastFanout.pinId !== undefined ? 'followers' : 'follows', number(lastFanout.followers))}
                ${statRow('tasks', number(lastFanout.tasks))}
                ${statRow('duration', html`<strong data-testid="last-fanout-ms">${ms(lastFanout.durationMs)}</strong> (enqueue to last task done)`)}
                ${statRow('finished', time(lastFanout.finishedAt))}
                ${lastFanout.failed ? statRow('failed', html`<span class="bad">${lastFanout.failed}</span>`) : ''}
              </tbody>
            </table>`
          : html`<p class="muted">Nothing has been fanned out yet. Make a pin!</p>`
      }
    </section>
    <section class="card">
      <h2>Fanout work by feed</h2>
      <table class="table">
        <thead>
          <tr>
            <th>feed</th>
            <th>tasks</th>
            <th>entries added</th>
            <th>entries removed</th>
            <th>avg task</th>
            <th>last task</th>
          </tr>
        </thead>
        <tbody>
          ${['normal', 'aggregated'].map((feed) => {
            const tasks = c(`fanout_tasks.${feed}`);
            return html`<tr>
              <th scope="row">${feed}</th>
              <td>${number(tasks)}</td>
              <td>${number(c(`fanout_add.${feed}`))}</td>
              <td>${number(c(`fanout_remove.${feed}`))}</td>
              <td>${tasks > 0 ? ms(c(`fanout_ms.${feed}`) / tasks) : '–'}</td>
              <td>
                ${counters[`fanout_last_ms.${feed}`] !== undefined ? ms(c(`fanout_last_ms.${feed}`)) : '–'}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      <p class="muted small">
        Activities published: ${number(c('published'))} · removed: ${number(c('removed'))} · summed
        over every process (web, seed, workers) through the Metrics contract.
      </p>
    </section>
    <section class="card">
      <h2>Feeds</h2>
      <table class="table">
        <thead>
          <tr>
            <th>feed</th>
            <th>what</th>
            <th>non-empty feeds</th>
            <th>entries</th>
            <th>reads</th>
            <th>writes</th>
          </tr>
        </thead>
        <tbody>
          ${view.feeds.map(
            (feed) =>
              html`<tr>
                <th scope="row">${feed.name}</th>
                <td class="small left">
                  ${feed.description}${feed.extra ? html`<br /><span class="muted">${feed.extra}</span>` : ''}
                </td>
                <td>${number(feed.feeds)}</td>
                <td>${number(feed.entries)}</td>
                <td>${number(c(`read.${feed.name}`))}</td>
                <td>${number(c(`write.${feed.name}`))}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${feedNames.some((feed) => c(`missing.${feed}`) > 0) ? html`<p class="small bad">Missing activities skipped on read: ${feedNames.map((feed) => `${feed} ${c(`missing.${feed}`)}`).join(', ')}</p>` : ''}
      ${recordKinds.some((kind) => c(`corrupt.${kind}`) > 0) ? html`<p class="small bad" data-testid="corrupt-records">Corrupt records skipped on read (see the server log): ${recordKinds.map((kind) => `${kind} ${c(`corrupt.${kind}`)}`).join(', ')}</p>` : ''}
    </section>
    <section class="card">
      <h2>Data</h2>
      <table class="table">
        <tbody>
          ${statRow('people', number(totals.users))}${statRow('boards', number(totals.boards))}${statRow('pins', number(totals.pins))}
          ${statRow('follows', number(totals.follows))}${statRow('loves', number(totals.loves))}
        </tbody>
      </table>
    </section>
    <section class="card">
      <h2>Settings</h2>
      <table class="table">
        <tbody>
          ${view.settings.map(([name, value]) => statRow(name, value))}
        </tbody>
      </table>
    </section>
  </div>`;
}

export function statsPage(ctx: PageContext, view: StatsView): SafeHtml {
  return layout(ctx, {
    title: 'Stats',
    active: 'stats',
    wide: true,
    body: html`<div class="page-head">
        <h1>Stats</h1>
        <p class="muted">The background work of the fanout, refreshed every two seconds.</p>
      </div>
      <div data-refresh="/stats/fragment" data-interval="2000">${statsBody(view)}</div>`,
  });
}

export function pickUserPage(
  ctx: PageContext,
  people: ReadonlyArray<{ user: User; followers: number; following: boolean }>,
): SafeHtml {
  return peopleList(
    ctx,
    'Who are you?',
    'No passwords here: pick a person to act as (a signed cookie remembers the choice), or join as someone new.',
    people,
    true,
  );
}

export function errorPage(
  ctx: PageContext,
  status: number,
  title: string,
  message: string,
): SafeHtml {
  return layout(ctx, {
    title,
    body: html`<section class="card error-card" data-testid="error">
      <p class="error-code">${status}</p>
      <h1>${title}</h1>
      <p class="error-message" data-testid="error-message">${message}</p>
      <p><a class="btn btn-secondary" href="/">Back to home</a></p>
    </section>`,
  });
}

export { PinVerb };
