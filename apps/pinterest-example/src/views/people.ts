import { html } from '../html.js';
import type { HtmlValue, SafeHtml } from '../html.js';
import type { User } from '../store.js';
import { avatar, emptyState, followButton, hiddenNext } from './components.js';
import { plural } from './format.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

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
