/** The reference model of an aggregated feed, and the runner that compares a real one with it. */
import { Activity, AggregatedActivity, DuplicateActivityError } from '@sf/activity';
import type { AggregatedFeedDefinition, UserId } from '@sf/feeds';
import type { Serializer } from '@sf/serializers';
import { ModelMismatch, check, cmp, page, toFilter, within } from './feed-model-checks.js';
import type { Scenario } from './feed-scenarios.js';

interface ModelGroup {
  group: string;
  /** Oldest first, as appended. */
  activities: Activity[];
  minimized: number;
  createdAt: number | null;
  updatedAt: number | null;
}

export interface AggregatedModelOptions {
  maxLength: number;
  mergeMaxLength: number;
  /** Activities an aggregated activity keeps (the aggregator's maxAggregatedActivities, default 15). */
  maxActivities: number;
  /** Computes the stored member of a group (sorted-set semantics: one entry per member). */
  member: (group: ModelGroup) => string;
  /**
   * Order of aggregated activities sharing an aggregated id (same updatedAt second): by member
   * descending, as Redis orders equal scores in ZREVRANGE (and the memory storage copies), or by
   * group descending (Cassandra's clustering `activity_id DESC, group DESC`). They agree unless
   * one group is a prefix of another (a member starts with its group in both formats). It decides
   * which of two tied aggregated activities a trim drops.
   */
  ties?: 'member-desc' | 'group-desc';
}

function groupOf(activity: Activity): string {
  return `${activity.verb.id}-${activity.time.toISOString().slice(0, 10)}`;
}

function aggregatedId(group: ModelGroup): string {
  return String(Math.floor(group.updatedAt! / 1000) * 1000);
}

export class AggregatedModel {
  /** Stored groups (unordered; `view()` orders them). */
  groups: ModelGroup[] = [];

  constructor(readonly options: AggregatedModelOptions) {}

  /** Newest first: aggregated id desc, then member desc. */
  view(): ModelGroup[] {
    const keyed = this.groups.map((group) => ({
      group,
      id: aggregatedId(group),
      member: this.options.member(group),
    }));
    const byGroup = this.options.ties === 'group-desc';
    keyed.sort(
      (a, b) =>
        cmp(b.id, a.id) ||
        (byGroup
          ? a.group.group < b.group.group
            ? 1
            : a.group.group > b.group.group
              ? -1
              : 0
          : a.member < b.member
            ? 1
            : a.member > b.member
              ? -1
              : 0),
    );
    return keyed.map((entry) => entry.group);
  }

  #append(group: ModelGroup, activity: Activity): void {
    group.activities.push(activity);
    const time = activity.time.getTime();
    if (group.createdAt === null) group.createdAt = time;
    if (group.updatedAt === null || time > group.updatedAt) group.updatedAt = time;
    if (group.activities.length > this.options.maxActivities) {
      group.activities.shift();
      group.minimized++;
    }
  }

  #write(remove: readonly ModelGroup[], add: readonly ModelGroup[], trim: boolean): void {
    this.groups = this.groups.filter((group) => !remove.includes(group));
    for (const group of add) {
      // A sorted set holds a member once.
      const member = this.options.member(group);
      if (!this.groups.some((existing) => this.options.member(existing) === member))
        this.groups.push(group);
    }
    if (trim) this.groups = this.view().slice(0, this.options.maxLength);
  }

  /** Returns the new and changed groups, ranked; throws DuplicateActivityError for a batch holding an activity twice. */
  add(activities: readonly Activity[], trim: boolean): ModelGroup[] {
    const ids = activities.map((a) => a.serializationId);
    if (new Set(ids).size !== ids.length) throw new DuplicateActivityError(ids[0]!, 'batch');
    const { maxLength, mergeMaxLength } = this.options;
    // Incoming groups: activities oldest first, in order of first appearance, then ranked.
    const incoming = new Map<string, ModelGroup>();
    for (const activity of [...activities].sort((a, b) =>
      cmp(a.serializationId, b.serializationId),
    )) {
      const name = groupOf(activity);
      let group = incoming.get(name);
      if (!group)
        incoming.set(
          name,
          (group = { group: name, activities: [], minimized: 0, createdAt: null, updatedAt: null }),
        );
      this.#append(group, activity);
    }
    const ranked = rank([...incoming.values()]);
    // What the write merges into: the mergeMaxLength most recent (as Stream Framework's
    // `self[:merge_max_length]`, even past maxLength after writes without trim), then older ones
    // up to maxLength for the groups not found there.
    const view = this.view();
    const recent = view.slice(0, mergeMaxLength);
    const candidates = [...recent];
    const found = new Set(recent.map((g) => g.group));
    if (
      [...incoming.keys()].some((g) => !found.has(g)) &&
      recent.length === mergeMaxLength &&
      maxLength > mergeMaxLength
    ) {
      candidates.push(
        ...view
          .slice(mergeMaxLength, maxLength)
          .filter((g) => incoming.has(g.group) && !found.has(g.group)),
      );
    }
    const byGroup = new Map(candidates.map((g) => [g.group, g]));
    const created: ModelGroup[] = [];
    const changed: Array<[ModelGroup, ModelGroup]> = [];
    for (const group of ranked) {
      const existing = byGroup.get(group.group);
      if (!existing) {
        created.push(group);
        continue;
      }
      const updated: ModelGroup = { ...existing, activities: [...existing.activities] };
      for (const activity of group.activities) {
        if (!updated.activities.some((a) => a.serializationId === activity.serializationId))
          this.#append(updated, activity);
      }
      if (idsOf(updated).join() !== idsOf(existing).join()) changed.push([existing, updated]);
    }
    this.#write(
      changed.map(([from]) => from),
      [...created, ...changed.map(([, to]) => to)],
      trim,
    );
    return rank([...created, ...changed.map(([, to]) => to)]);
  }

  /** Removes activities from their groups (deleting emptied groups); returns the changed groups in feed order. */
  remove(ids: readonly string[]): ModelGroup[] {
    const doomed = new Set(ids);
    const affected = this.view().filter((g) =>
      g.activities.some((a) => doomed.has(a.serializationId)),
    );
    const updated: ModelGroup[] = [];
    for (const group of affected) {
      const kept = group.activities.filter((a) => !doomed.has(a.serializationId));
      if (kept.length === 0) continue;
      const removed = group.activities.length - kept.length;
      updated.push({
        ...group,
        activities: kept,
        minimized: Math.max(0, group.minimized - removed),
        updatedAt: kept.at(-1)!.time.getTime(),
      });
    }
    this.#write(affected, updated, false);
    return updated;
  }
}

function idsOf(group: ModelGroup): string[] {
  return group.activities.map((a) => a.serializationId);
}

/** RecentRankMixin: most recently updated first (stable). */
function rank(groups: readonly ModelGroup[]): ModelGroup[] {
  return [...groups].sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0));
}

function describeGroup(group: ModelGroup | AggregatedActivity) {
  if (group instanceof AggregatedActivity) {
    return {
      group: group.group,
      ids: group.activityIds,
      minimized: group.minimizedActivities,
      createdAt: group.createdAt?.getTime() ?? null,
      updatedAt: group.updatedAt?.getTime() ?? null,
    };
  }
  return {
    group: group.group,
    ids: idsOf(group),
    minimized: group.minimized,
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
  };
}

/** The stored member of a model group, through the feed's own aggregated serializer. */
export function memberOf(
  serializer: Serializer<AggregatedActivity>,
): (group: ModelGroup) => string {
  return (group) =>
    serializer.dumps(
      new AggregatedActivity({
        group: group.group,
        activityIds: idsOf(group),
        createdAt: group.createdAt === null ? null : new Date(group.createdAt),
        updatedAt: group.updatedAt === null ? null : new Date(group.updatedAt),
        minimizedActivities: group.minimized,
      }),
    );
}

export interface AggregatedRunOptions {
  /** The aggregator's maxAggregatedActivities (default 15). */
  maxActivities?: number;
  ties?: 'member-desc' | 'group-desc';
}

/** Applies `scenario` to one user's aggregated feed and to the model; throws ModelMismatch at the first difference. */
export async function runAggregatedScenario(
  definition: AggregatedFeedDefinition,
  userId: UserId,
  scenario: Scenario,
  options: AggregatedRunOptions = {},
): Promise<void> {
  const { pool, ops: history } = scenario;
  await definition.insertActivities(pool);
  const feed = definition.for(userId);
  const model = new AggregatedModel({
    maxLength: definition.maxLength,
    mergeMaxLength: definition.mergeMaxLength,
    maxActivities: options.maxActivities ?? 15,
    member: memberOf(definition.format.aggregatedSerializer()),
    ties: options.ties,
  });
  const label = `aggregated feed ${feed.key}`;
  try {
    await applyAggregated();
  } catch (error) {
    if (!(error instanceof ModelMismatch)) throw error;
    const state = (groups: Array<ModelGroup | AggregatedActivity>) =>
      groups
        .map((g) => describeGroup(g))
        .map((g) => `${g.group}@${g.updatedAt}:${g.ids.join(',')}+${g.minimized}`);
    error.message += `\n  model feed  ${JSON.stringify(state(model.view()))}\n  actual feed ${JSON.stringify(state(await feed.get()))}`;
    throw error;
  }

  async function applyAggregated(): Promise<void> {
    // Aggregated ids of the pool's activities' seconds, for filter bounds.
    const idOf = (index: number) =>
      String(Math.floor(pool[index % pool.length]!.time.getTime() / 1000) * 1000);
    for (let step = 0; step < history.length; step++) {
      const op = history[step]!;
      switch (op.op) {
        case 'add': {
          const activities = op.items.map((i) => pool[i % pool.length]!);
          let expected: unknown;
          try {
            expected = model.add(activities, op.trim).map(describeGroup);
          } catch (error) {
            expected = `throws ${(error as Error).name}`;
          }
          let actual: unknown;
          try {
            actual = (await feed.addMany(activities, { trim: op.trim })).map(describeGroup);
          } catch (error) {
            actual = `throws ${(error as Error).name}`;
          }
          check(label, step, history, expected, actual);
          break;
        }
        case 'remove': {
          const ids = op.items.map((i) => pool[i % pool.length]!.serializationId);
          check(
            label,
            step,
            history,
            model.remove(ids).map(describeGroup),
            (await feed.removeMany(ids)).map(describeGroup),
          );
          break;
        }
        case 'trim':
          await feed.trim(op.length);
          model.groups = model.view().slice(0, op.length);
          break;
        case 'get': {
          const { filter, exact } = toFilter(op.bounds, idOf);
          const view = feed
            .filter(filter)
            .orderBy(op.order === 'desc' ? '-activity_id' : 'activity_id');
          const actual = (await view.get({ offset: op.offset, limit: op.limit })).map(
            describeGroup,
          );
          const filtered = model.view().filter((g) => within(aggregatedId(g), exact));
          const expected = page(
            op.order === 'desc' ? filtered : filtered.reverse(),
            op.offset,
            op.limit,
          ).map(describeGroup);
          check(label, step, history, expected, actual);
          break;
        }
        case 'count':
          check(label, step, history, model.groups.length, await feed.count());
          break;
        case 'indexOf':
          // Positions by aggregated id are ambiguous when ids collide; counted by `get` instead.
          break;
      }
    }
    check(
      `${label} (final)`,
      history.length - 1,
      history,
      model.view().map(describeGroup),
      (await feed.get()).map(describeGroup),
    );
  }
}
