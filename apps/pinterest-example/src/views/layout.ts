import { html, raw } from '../html.js';
import type { SafeHtml } from '../html.js';
import type { User } from '../store.js';
import { avatar, hiddenNext } from './components.js';

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
  active?:
    'home' | 'popular' | 'grouped' | 'notifications' | 'people' | 'stats' | 'new' | 'profile';
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
  { key: 'popular', href: '/popular', label: 'Popular', needsUser: true },
  { key: 'grouped', href: '/grouped', label: 'Grouped', needsUser: true },
  { key: 'notifications', href: '/notifications', label: 'Notifications', needsUser: true },
  { key: 'people', href: '/people', label: 'People', needsUser: false },
  { key: 'stats', href: '/stats', label: 'Stats', needsUser: false },
];

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
