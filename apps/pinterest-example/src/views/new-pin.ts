import { html, raw } from '../html.js';
import type { SafeHtml } from '../html.js';
import { PATTERNS } from '../store.js';
import type { Board } from '../store.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

export interface NewPinForm {
  boards: Board[];
  values?: { title?: string; boardId?: number; pattern?: string; hue?: number; newBoard?: string };
  error?: string;
}

export const HUES: ReadonlyArray<[string, number]> = [
  ['Coral', 8],
  ['Amber', 38],
  ['Lime', 88],
  ['Jade', 150],
  ['Teal', 180],
  ['Sky', 205],
  ['Indigo', 235],
  ['Violet', 275],
  ['Rose', 330],
];

export function newPinPage(ctx: PageContext, form: NewPinForm): SafeHtml {
  const values = form.values ?? {};
  const boardOptions = form.boards.map(
    (board) =>
      html`<option value="${board.id}" ${values.boardId === board.id ? raw('selected') : ''}>
        ${board.name}
      </option>`,
  );
  return layout(ctx, {
    title: 'New pin',
    active: 'new',
    body: html`<div class="page-head">
        <h1>New pin</h1>
        <p class="muted">
          Your pin goes to your followers' home and grouped feeds through the Manager's fanout.
        </p>
      </div>
      ${form.error ? html`<p class="alert" role="alert">${form.error}</p>` : ''}
      <form method="post" action="/pins" class="card form" data-testid="pin-form">
        <label
          >Title
          <input
            name="title"
            required
            maxlength="80"
            value="${values.title ?? ''}"
            placeholder="Moss garden in Kyoto"
            data-testid="pin-title"
        /></label>
        <label
          >Board
          <select name="boardId" data-testid="pin-board">
            ${boardOptions}
          </select>
        </label>
        <div class="form-row">
          <label
            >Colour
            <select name="hue">
              ${HUES.map(
                ([name, hue]) =>
                  html`<option value="${hue}" ${values.hue === hue ? raw('selected') : ''}>
                    ${name}
                  </option>`,
              )}
            </select></label
          >
          <label
            >Pattern
            <select name="pattern">
              <option value="random">Surprise me</option>
              ${PATTERNS.map(
                (pattern) =>
                  html`<option
                    value="${pattern}"
                    ${values.pattern === pattern ? raw('selected') : ''}
                  >
                    ${pattern}
                  </option>`,
              )}
            </select></label
          >
        </div>
        <button class="btn btn-primary" type="submit" data-testid="pin-submit">Pin it</button>
      </form>
      <form method="post" action="/boards" class="card form form-row">
        <label
          >New board
          <input
            name="name"
            required
            maxlength="40"
            placeholder="Kitchen ideas"
            value="${values.newBoard ?? ''}"
        /></label>
        <button class="btn btn-secondary" type="submit">Create board</button>
      </form>`,
  });
}
