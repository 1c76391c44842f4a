import { DehydratedActivity } from '@sf/activity';
import type { TimelineQuery } from '@sf/feeds';

/** A 26-digit id: epoch ms, object id padded to 10, verb id padded to 3. */
export const idOf = (millis: bigint, object: number, verb: number): string =>
  `${millis}${String(object).padStart(10, '0')}${String(verb).padStart(3, '0')}`;

export const dehydrated = (ids: readonly string[]): DehydratedActivity[] =>
  ids.map((id) => new DehydratedActivity(id));

export const ids = (items: ReadonlyArray<{ serializationId: string }>): string[] =>
  items.map((item) => item.serializationId);

/** What a page must be, computed with exact integers. */
export function reference(all: readonly string[], query: TimelineQuery): string[] {
  const f = query.filter ?? {};
  const kept = all
    .filter((id) => {
      const n = BigInt(id);
      return (
        (f.gte === undefined || n >= BigInt(f.gte)) &&
        (f.gt === undefined || n > BigInt(f.gt)) &&
        (f.lte === undefined || n <= BigInt(f.lte)) &&
        (f.lt === undefined || n < BigInt(f.lt))
      );
    })
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  if ((query.order ?? 'desc') === 'desc') kept.reverse();
  const offset = query.offset ?? 0;
  const limit = query.limit ?? null;
  return kept.slice(offset, limit === null ? undefined : offset + limit);
}

/** A deterministic pseudo-random sequence (mulberry32). */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` pseudo-random decimal digits. */
export function digits(next: () => number, count: number): string {
  let text = '';
  while (text.length < count) text += String(Math.floor(next() * 10));
  return text;
}
