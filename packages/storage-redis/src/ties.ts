import type { TimelineItem, TimelineOrder } from '@sf/feeds/backend';

/** Strings in the order of their UTF-8 bytes (code point order), as Redis and Cassandra compare. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Items of one id by group: descending for newest-first reads, ascending for oldest-first ones. */
export function byGroup<T extends TimelineItem>(items: readonly T[], order: TimelineOrder): T[] {
  const groupOf = (item: T) => (item as unknown as { group: string }).group;
  return [...items].sort((a, b) =>
    order === 'desc' ? compareBytes(groupOf(b), groupOf(a)) : compareBytes(groupOf(a), groupOf(b)),
  );
}

export interface TieSources<T> {
  /** The id of the entry just before the page in the read's order, when there is one. */
  previousId: string | undefined;
  /** The id of the entry just after the page, when there is one. */
  nextId: string | undefined;
  /** Every item of this id, in the sorted set's order for the read (undefined: unreadable). */
  block: (id: string) => Promise<T[] | undefined>;
  /** The stored member an item was read from. */
  memberOf: (item: T) => string | undefined;
}

/**
 * Aggregated items of equal id come by group (the contract, as Cassandra's clustering orders
 * them), but a sorted set orders equal scores by member, and a member does not sort as its group
 * when one group is a prefix of another (`a` / `a1`: the byte after `a` is the format's separator,
 * `"` in JSON, `;` in the Stream Framework format). Sorts each tie of the page by group; a tie
 * that crosses the page's edge (a neighbour has the same id) is read whole, so that this page
 * gets its part of it in group order. Pages without such a tie cost no extra round trip.
 */
export async function orderTies<T extends TimelineItem>(
  page: T[],
  order: TimelineOrder,
  sources: TieSources<T>,
): Promise<T[]> {
  if (page.length === 0) return page;
  const crossing = new Set<string>();
  if (sources.previousId === page[0]!.serializationId) crossing.add(page[0]!.serializationId);
  if (sources.nextId === page.at(-1)!.serializationId) crossing.add(page.at(-1)!.serializationId);
  const blocks = new Map<string, T[]>();
  for (const id of crossing) {
    const block = await sources.block(id);
    if (block) blocks.set(id, block);
  }
  const result: T[] = [];
  for (let i = 0; i < page.length;) {
    let j = i + 1;
    while (j < page.length && page[j]!.serializationId === page[i]!.serializationId) j++;
    const run = page.slice(i, j);
    const block = blocks.get(run[0]!.serializationId);
    const member = sources.memberOf(run[0]!);
    const first =
      block && member !== undefined
        ? block.findIndex((item) => sources.memberOf(item) === member)
        : -1;
    result.push(
      ...(block && first >= 0
        ? byGroup(block, order).slice(first, first + run.length)
        : byGroup(run, order)),
    );
    i = j;
  }
  return result;
}
