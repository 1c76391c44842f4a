import type { AggregatedActivity } from '@sf/activity';
import { html } from '../html.js';
import type { SafeHtml } from '../html.js';
import type { Board, Pin, User } from '../store.js';
import { avatar, emptyState, loadMore, pinImage, userLink } from './components.js';
import { plural, time } from './format.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

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
