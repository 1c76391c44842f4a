import { html } from '../html.js';
import type { SafeHtml } from '../html.js';
import type { Board, User } from '../store.js';
import { emptyState, pinCards, userLink } from './components.js';
import type { PinView } from './components.js';
import { plural } from './format.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

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
