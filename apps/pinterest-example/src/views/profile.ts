import { html } from '../html.js';
import type { SafeHtml } from '../html.js';
import type { Board, User } from '../store.js';
import { avatar, emptyState, followButton, loadMore, pinCards } from './components.js';
import type { PinView } from './components.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

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
