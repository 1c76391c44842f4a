import { html } from '../html.js';
import type { SafeHtml } from '../html.js';

export function timeAgo(time: number | Date, now = Date.now()): string {
  const ms = now - (time instanceof Date ? time.getTime() : time);
  const s = Math.round(ms / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 14) return d === 1 ? 'yesterday' : `${d} days ago`;
  const w = Math.round(d / 7);
  if (w < 9) return `${w} weeks ago`;
  return new Date(time).toISOString().slice(0, 10);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatNumber(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function time(value: number | Date): SafeHtml {
  const date = value instanceof Date ? value : new Date(value);
  return html`<time datetime="${date.toISOString()}" title="${date.toUTCString()}"
    >${timeAgo(date)}</time
  >`;
}
