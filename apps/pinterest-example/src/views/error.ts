import { html } from '../html.js';
import type { SafeHtml } from '../html.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

export function errorPage(
  ctx: PageContext,
  status: number,
  title: string,
  message: string,
): SafeHtml {
  return layout(ctx, {
    title,
    body: html`<section class="card error-card" data-testid="error">
      <p class="error-code">${status}</p>
      <h1>${title}</h1>
      <p class="error-message" data-testid="error-message">${message}</p>
      <p><a class="btn btn-secondary" href="/">Back to home</a></p>
    </section>`,
  });
}
