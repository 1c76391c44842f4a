import type { NotificationActivity } from '@sf/activity';
import { Follow, Love } from '../feeds.js';
import { html, raw } from '../html.js';
import type { SafeHtml } from '../html.js';
import type { Pin, User } from '../store.js';
import { avatar, emptyState, hiddenNext, pinImage } from './components.js';
import { plural, time } from './format.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

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
