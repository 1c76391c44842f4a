import { html } from '../html.js';
import type { SafeHtml } from '../html.js';
import { PIN_WIDTH, pinHeight } from '../images.js';
import { avatar, loveButton, userLink } from './components.js';
import type { PinView } from './components.js';
import { time } from './format.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

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
            ? html`<form method="post" action="/pins/${pin.id}/title" class="inline">
                  <input
                    name="title"
                    value="${pin.title}"
                    maxlength="80"
                    required
                    aria-label="Title"
                    data-testid="pin-title-input"
                  />
                  <button class="btn btn-small" type="submit" data-testid="rename-pin">
                    Rename
                  </button>
                </form>
                <p class="muted small">
                  Renaming updates the pin in place in every feed (updateActivity).
                </p>
                <form method="post" action="/pins/${pin.id}/delete" class="inline">
                  <button class="btn btn-danger btn-small" type="submit" data-testid="delete-pin">
                    Delete pin
                  </button>
                </form>
                <p class="muted small">
                  Deleting removes it from every follower's feeds by its foreign id
                  (removeActivityByForeignId).
                </p>`
            : ''
        }
      </div>
    </article>`,
  });
}
