import { html } from '../html.js';
import type { HtmlValue, SafeHtml } from '../html.js';
import type { QueueStats } from '../runtime.js';
import type { LastFanout, StatsCounters, Totals, User } from '../store.js';
import { userLink } from './components.js';
import { formatNumber, time } from './format.js';
import { layout } from './layout.js';
import type { PageContext } from './layout.js';

export interface StatsView {
  queue: QueueStats;
  totals: Totals;
  counters: StatsCounters;
  lastFanout: (LastFanout & { author?: User }) | undefined;
  feeds: Array<{
    name: string;
    description: string;
    feeds: number;
    entries: number;
    extra?: string;
  }>;
  settings: Array<[string, string]>;
}

function statRow(label: string, value: HtmlValue): SafeHtml {
  return html`<tr>
    <th scope="row">${label}</th>
    <td>${value}</td>
  </tr>`;
}

export function statsBody(view: StatsView): SafeHtml {
  const { queue, totals, counters, lastFanout } = view;
  const states = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
  const feedNames = ['normal', 'aggregated', 'notification', 'user'];
  const recordKinds = ['user', 'board', 'pin'];
  const c = (name: string) => counters[name] ?? 0;
  const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
  return html`<div class="stats" id="stats" data-testid="stats">
    <section class="card">
      <h2>
        Fanout queue
        <span class="muted small"
          >(${
            queue.kind === 'bullmq'
              ? `BullMQ jobs in ${queue.service ?? 'Redis'}`
              : 'in-process tasks'
          })</span
        >
      </h2>
      <table class="table" data-testid="queue-table">
        <thead>
          <tr>
            <th>priority</th>
            ${states.map((s) => html`<th>${s}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${Object.entries(queue.counts).map(
            ([priority, counts]) =>
              html`<tr>
                <th scope="row">${priority}</th>
                ${states.map((s) => html`<td class="${s === 'failed' && counts[s] > 0 ? 'bad' : ''}">${formatNumber(counts[s])}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="muted small">
        HIGH: followers active in the last days; LOW: everyone else.
        ${queue.kind === 'bullmq' ? 'Completed jobs are kept for an hour (up to 1000).' : ''}
      </p>
    </section>
    <section class="card">
      <h2>Last fanout</h2>
      ${
        lastFanout
          ? html`<table class="table">
              <tbody>
                ${statRow(
                  'what',
                  lastFanout.pinId !== undefined
                    ? html`<a href="/pins/${lastFanout.pinId}">pin #${lastFanout.pinId}</a> by
                        ${userLink(lastFanout.author)}`
                    : lastFanout.what,
                )}
                ${statRow(lastFanout.pinId !== undefined ? 'followers' : 'follows', formatNumber(lastFanout.followers))}
                ${statRow('tasks', formatNumber(lastFanout.tasks))}
                ${statRow('duration', html`<strong data-testid="last-fanout-ms">${ms(lastFanout.durationMs)}</strong> (enqueue to last task done)`)}
                ${statRow('finished', time(lastFanout.finishedAt))}
                ${lastFanout.failed ? statRow('failed', html`<span class="bad">${lastFanout.failed}</span>`) : ''}
              </tbody>
            </table>`
          : html`<p class="muted">Nothing has been fanned out yet. Make a pin!</p>`
      }
    </section>
    <section class="card">
      <h2>Fanout work by feed</h2>
      <table class="table">
        <thead>
          <tr>
            <th>feed</th>
            <th>tasks</th>
            <th>entries added</th>
            <th>entries removed</th>
            <th>avg task</th>
            <th>last task</th>
          </tr>
        </thead>
        <tbody>
          ${['normal', 'aggregated'].map((feed) => {
            const tasks = c(`fanout_tasks.${feed}`);
            return html`<tr>
              <th scope="row">${feed}</th>
              <td>${formatNumber(tasks)}</td>
              <td>${formatNumber(c(`fanout_add.${feed}`))}</td>
              <td>${formatNumber(c(`fanout_remove.${feed}`))}</td>
              <td>${tasks > 0 ? ms(c(`fanout_ms.${feed}`) / tasks) : '–'}</td>
              <td>
                ${counters[`fanout_last_ms.${feed}`] !== undefined ? ms(c(`fanout_last_ms.${feed}`)) : '–'}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      <p class="muted small">
        Activities published: ${formatNumber(c('published'))} · removed:
        ${formatNumber(c('removed'))} · summed over every process (web, seed, workers) through the
        Metrics contract.
      </p>
    </section>
    <section class="card">
      <h2>Feeds</h2>
      <table class="table">
        <thead>
          <tr>
            <th>feed</th>
            <th>what</th>
            <th>non-empty feeds</th>
            <th>entries</th>
            <th>reads</th>
            <th>writes</th>
          </tr>
        </thead>
        <tbody>
          ${view.feeds.map(
            (feed) =>
              html`<tr>
                <th scope="row">${feed.name}</th>
                <td class="small left">
                  ${feed.description}${feed.extra ? html`<br /><span class="muted">${feed.extra}</span>` : ''}
                </td>
                <td>${formatNumber(feed.feeds)}</td>
                <td>${formatNumber(feed.entries)}</td>
                <td>${formatNumber(c(`read.${feed.name}`))}</td>
                <td>${formatNumber(c(`write.${feed.name}`))}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${feedNames.some((feed) => c(`missing.${feed}`) > 0) ? html`<p class="small bad">Missing activities skipped on read: ${feedNames.map((feed) => `${feed} ${c(`missing.${feed}`)}`).join(', ')}</p>` : ''}
      ${recordKinds.some((kind) => c(`corrupt.${kind}`) > 0) ? html`<p class="small bad" data-testid="corrupt-records">Corrupt records skipped on read (see the server log): ${recordKinds.map((kind) => `${kind} ${c(`corrupt.${kind}`)}`).join(', ')}</p>` : ''}
    </section>
    <section class="card">
      <h2>Data</h2>
      <table class="table">
        <tbody>
          ${statRow('people', formatNumber(totals.users))}${statRow('boards', formatNumber(totals.boards))}${statRow('pins', formatNumber(totals.pins))}
          ${statRow('follows', formatNumber(totals.follows))}${statRow('loves', formatNumber(totals.loves))}
        </tbody>
      </table>
    </section>
    <section class="card">
      <h2>Settings</h2>
      <table class="table">
        <tbody>
          ${view.settings.map(([name, value]) => statRow(name, value))}
        </tbody>
      </table>
    </section>
  </div>`;
}

export function statsPage(ctx: PageContext, view: StatsView): SafeHtml {
  return layout(ctx, {
    title: 'Stats',
    active: 'stats',
    wide: true,
    body: html`<div class="page-head">
        <h1>Stats</h1>
        <p class="muted">The background work of the fanout, refreshed every two seconds.</p>
      </div>
      <div data-refresh="/stats/fragment" data-interval="2000">${statsBody(view)}</div>`,
  });
}
