import { html, join } from '../html.js';
import type { HtmlValue, SafeHtml } from '../html.js';
import { PIN_WIDTH, pinHeight } from '../images.js';
import type { Board, Pin, User } from '../store.js';
import { plural, time } from './format.js';

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

export function hiddenNext(next: string): SafeHtml {
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

export function emptyState(title: string, text: HtmlValue, action?: SafeHtml): SafeHtml {
  return html`<div class="empty">
    <h2>${title}</h2>
    <p>${text}</p>
    ${action ?? ''}
  </div>`;
}
