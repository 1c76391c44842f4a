import { html } from '../html.js';
import type { SafeHtml } from '../html.js';
import { emptyState, loadMore, pinCards } from './components.js';
import type { PinView } from './components.js';
import type { Board } from '../store.js';

/** A board of the home feed's pins, with how many there are (the feed's board index). */
export interface BoardFilter {
  board: Board;
  count: number;
  current: boolean;
}

function boardFilterBar(filters: readonly BoardFilter[], board: number | undefined): SafeHtml {
  if (filters.length === 0 && board === undefined) return html``;
  return html`<nav class="board-filters" data-testid="board-filters" aria-label="Filter by board">
    <a href="/" class="chip${board === undefined ? ' chip-on' : ''}" data-testid="board-filter-all"
      >All boards</a
    >
    ${filters.map(
      (filter) =>
        html`<a
          href="/?board=${filter.board.id}"
          class="chip${filter.current ? ' chip-on' : ''}"
          data-testid="board-filter"
          data-board="${filter.board.id}"
          >${filter.board.name} <span class="muted">${filter.count}</span></a
        >`,
    )}
  </nav>`;
}
import { plural } from './format.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

export function homePage(
  ctx: PageContext,
  views: readonly PinView[],
  cursor: string | null,
  info: {
    following: number;
    pulled: number;
    filters?: readonly BoardFilter[];
    board?: number | undefined;
    rebuilding?: boolean;
  },
): SafeHtml {
  const board = info.board;
  const banner = info.rebuilding
    ? html`<p
        class="banner"
        role="status"
        data-testid="feed-preparing"
        data-feed-status="/feed-status"
      >
        Welcome back! Your feed is being prepared: pins from the people you follow fill in here in a
        moment.
      </p>`
    : html``;
  const body =
    views.length === 0 && !cursor && board !== undefined
      ? emptyState(
          'No pins to this board in your feed',
          'Pins to it by people you follow show up here.',
          html`<a class="btn btn-secondary" href="/">Show all boards</a>`,
        )
      : views.length === 0 && !cursor && !info.rebuilding
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
            ${loadMore(board === undefined ? '/more/home' : `/more/home?board=${board}`, cursor, 'home-grid')}`;
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
      ${banner} ${boardFilterBar(info.filters ?? [], board)} ${body}`,
  });
}

/** The "popular" tab: the home feed ranked by loves and recency, paged by a ranked cursor. */
export function popularPage(
  ctx: PageContext,
  views: readonly PinView[],
  cursor: string | null,
): SafeHtml {
  const body =
    views.length === 0 && !cursor
      ? emptyState(
          'Nothing popular yet',
          'Follow a few people: the pins of your home feed show up here, most loved first.',
          html`<a class="btn btn-primary" href="/people">Find people to follow</a>`,
        )
      : html`<div class="grid" id="popular-grid" data-testid="popular-grid">
            ${pinCards(views, ctx.user, ctx.path)}
          </div>
          ${loadMore('/more/popular', cursor, 'popular-grid')}`;
  return layout(ctx, {
    title: 'Popular',
    active: 'popular',
    wide: true,
    body: html`<div class="page-head">
        <h1>Popular</h1>
        <p class="muted">
          The pins of your home feed, most loved first with the newer ahead (a pin's score halves
          every day): a ranked read of your flat feed. Pages stay stable: pins pinned or loved
          meanwhile show up when you reload.
        </p>
      </div>
      ${body}`,
  });
}
