import { InvalidArgumentError } from '@sf/activity';
import type { IdFilter, MarkerUpdate, TimelineOrder } from '@sf/feeds';
import { boundsOf } from './ids.js';
import type { MarkersSignature } from './lua/markers-2.js';
import type { RangeArgs } from './lua/range-1.js';

/**
 * ARGV of `sfRangeV1` (see src/lua/range-1.ts). `boundScore` gives a bound's score in the
 * timeline's layout (default: the id itself, Stream Framework's scores).
 */
export function rangeArgs(
  order: TimelineOrder,
  idSource: 'member' | 'score',
  filter: IdFilter | undefined,
  offset: number,
  limit: number | null,
  boundScore: (id: string) => string = (id) => id,
): RangeArgs {
  const { low, high } = boundsOf(filter);
  return [
    order,
    idSource,
    low ? boundScore(low.id) : '-inf',
    low?.id ?? '',
    low?.inclusive === false ? '0' : '1',
    high ? boundScore(high.id) : '+inf',
    high?.id ?? '',
    high?.inclusive === false ? '0' : '1',
    offset,
    limit ?? -1,
  ];
}

function idList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((id) => typeof id === 'string' && id.length > 0)) {
    throw new InvalidArgumentError(
      `marker update ${what} must be an array of ids, got ${JSON.stringify(value)}`,
      {
        path: `update.${what}`,
        value,
      },
    );
  }
  return [...new Set(value as string[])];
}

/** ARGV of `sfMarkersV1` (see src/lua/markers-2.ts). */
export function markersArgs(
  update: MarkerUpdate,
  maxLength: number,
  channel: string | null,
  key: string,
): MarkersSignature['args'] {
  const args: [...MarkersSignature['args']] = [
    maxLength,
    channel ?? '',
    key,
    update.clear?.unseen ? '1' : '0',
    update.clear?.unread ? '1' : '0',
  ];
  for (const group of [
    idList(update.remove?.unseen, 'remove.unseen'),
    idList(update.remove?.unread, 'remove.unread'),
    idList(update.add?.unseen, 'add.unseen'),
    idList(update.add?.unread, 'add.unread'),
  ]) {
    args.push(group.length, ...group);
  }
  return args;
}
