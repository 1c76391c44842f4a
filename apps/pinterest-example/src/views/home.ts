import { html } from '../html.js';
import type { SafeHtml } from '../html.js';
import { emptyState, loadMore, pinCards } from './components.js';
import type { PinView } from './components.js';
import { plural } from './format.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

export function homePage(
  ctx: PageContext,
  views: readonly PinView[],
  cursor: string | null,
  info: { following: number; pulled: number; rebuilding?: boolean },
): SafeHtml {
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
    views.length === 0 && !cursor && !info.rebuilding
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
      ${banner} ${body}`,
  });
}
