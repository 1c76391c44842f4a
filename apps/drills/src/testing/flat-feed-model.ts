/** The reference model of a flat feed, and the runner that compares a real flat feed with it. */
import type { FeedDefinition, UserId } from '@sf/feeds';
import { check, cmp, page, toFilter, within } from './feed-model-checks.js';
import type { Scenario } from './feed-scenarios.js';

export class FlatModel {
  /** Ids, newest first. */
  ids: string[] = [];

  constructor(readonly maxLength: number) {}

  add(ids: readonly string[], trim: boolean): number {
    let added = 0;
    for (const id of ids) {
      if (!this.ids.includes(id)) {
        this.ids.push(id);
        added++;
      }
    }
    this.ids.sort((a, b) => cmp(b, a));
    if (trim) this.ids = this.ids.slice(0, this.maxLength);
    return added;
  }

  remove(ids: readonly string[]): number {
    const doomed = new Set(ids);
    const before = this.ids.length;
    this.ids = this.ids.filter((id) => !doomed.has(id));
    return before - this.ids.length;
  }

  get(
    bounds: Record<string, string>,
    order: 'asc' | 'desc',
    offset: number,
    limit: number | undefined,
  ): string[] {
    const filtered = this.ids.filter((id) => within(id, bounds));
    return page(order === 'desc' ? filtered : filtered.reverse(), offset, limit);
  }
}

/** Applies `scenario` to one user's flat feed and to the model; throws ModelMismatch at the first difference. */
export async function runFlatScenario(
  definition: FeedDefinition,
  userId: UserId,
  scenario: Scenario,
): Promise<void> {
  const { pool, ops: history } = scenario;
  await definition.insertActivities(pool);
  const feed = definition.for(userId);
  const model = new FlatModel(definition.maxLength);
  const idOf = (index: number) => pool[index % pool.length]!.serializationId;
  for (let step = 0; step < history.length; step++) {
    const op = history[step]!;
    const label = `flat feed ${feed.key}`;
    switch (op.op) {
      case 'add': {
        const activities = op.items.map((i) => pool[i % pool.length]!);
        const actual =
          activities.length === 1
            ? await feed.add(activities[0]!, { trim: op.trim })
            : await feed.addMany(activities, { trim: op.trim });
        check(
          label,
          step,
          history,
          model.add(
            activities.map((a) => a.serializationId),
            op.trim,
          ),
          actual,
        );
        break;
      }
      case 'remove': {
        const ids = op.items.map(idOf);
        check(label, step, history, model.remove(ids), await feed.removeMany(ids));
        break;
      }
      case 'trim':
        await feed.trim(op.length);
        model.ids = model.ids.slice(0, op.length);
        break;
      case 'get': {
        const { filter, exact } = toFilter(op.bounds, idOf);
        const view = feed
          .filter(filter)
          .orderBy(op.order === 'desc' ? '-activity_id' : 'activity_id');
        const actual = (await view.get({ offset: op.offset, limit: op.limit })).map(
          (a) => a.serializationId,
        );
        check(label, step, history, model.get(exact, op.order, op.offset, op.limit), actual);
        break;
      }
      case 'count':
        check(label, step, history, model.ids.length, await feed.count());
        break;
      case 'indexOf': {
        const id = idOf(op.item);
        check(
          label,
          step,
          history,
          [model.ids.indexOf(id), model.ids.includes(id)],
          [await feed.indexOf(id), await feed.contains(id)],
        );
        break;
      }
    }
  }
  // The whole feed at the end, both orders.
  check(
    `flat feed ${feed.key} (final)`,
    history.length - 1,
    history,
    model.ids,
    (await feed.get()).map((a) => a.serializationId),
  );
}
