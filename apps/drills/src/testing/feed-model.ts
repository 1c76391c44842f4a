/**
 * Reference models of a flat feed and an aggregated feed, and runners that apply the same random
 * sequence of operations to a real feed (on any storage backend) and to the model, comparing every
 * result. The models are written from the specification (SF-SPEC.md sections 6, 7, 12 and the
 * feeds README), not from the implementation:
 *
 * - flat: a set of ids, newest first; every write trims to maxLength (unless `trim: false`);
 *   filters gt/gte/lt/lte compare exact ids; offset/limit page after filtering; asc/desc.
 * - aggregated: RecentVerbAggregator groups (verb + UTC day); a write merges into the
 *   mergeMaxLength most recently updated aggregated activities, and into older ones (up to
 *   maxLength) for groups not among them, so no group is duplicated while it is in the feed;
 *   activities are appended in merge order, the newest `maxActivities` kept, the rest counted as
 *   minimized; ordered and trimmed by aggregated id (updatedAt seconds x 1000) then member.
 */
import fc from 'fast-check';
import {
  Activity,
  AggregatedActivity,
  Comment,
  DuplicateActivityError,
  Follow,
  Love,
  compareSerializationIds,
} from '@sf/activity';
import type { ActivityIdScheme, Verb } from '@sf/activity';
import type { AggregatedFeedDefinition, FeedDefinition, FeedFilter, UserId } from '@sf/feeds';
import type { Serializer } from '@sf/serializers';
import { Drill } from './arbitraries.js';

// ---------------------------------------------------------------------------------------------
// Scenarios

export type Bound = { kind: 'gt' | 'gte' | 'lt' | 'lte'; base: number; delta: -1 | 0 | 1 };

export type FeedOp =
  | { op: 'add'; items: number[]; trim: boolean }
  | { op: 'remove'; items: number[] }
  | { op: 'trim'; length: number }
  | { op: 'get'; bounds: Bound[]; order: 'asc' | 'desc'; offset: number; limit: number | undefined }
  | { op: 'count' }
  | { op: 'indexOf'; item: number };

export interface Scenario {
  pool: Activity[];
  ops: FeedOp[];
}

const verbPool: readonly Verb[] = [Follow, Comment, Love, Drill];

/**
 * Python's ids have no actor: activities sharing one are refused unless their actor is the same
 * (ActivityConflictError), so in that scheme the actor follows from the id, in every run of a
 * suite sharing one backend.
 */
function actorFor(
  idScheme: ActivityIdScheme,
  actor: number,
  ms: number,
  object: number,
  verb: Verb,
): number {
  return idScheme === 'stream-framework' ? 1 + ((ms + object + verb.id) % 5) : actor;
}

/**
 * Activities whose 26-digit ids collide in the first 16 digits (same millisecond, objects and
 * verbs differing), so a backend that trusted a double score would get filters and order wrong.
 */
const flatActivity = (idScheme: ActivityIdScheme) =>
  fc
    .record({
      ms: fc.integer({ min: 0, max: 4 }),
      object: fc.constantFrom(1, 2, 3, 10, 999_999_999, 9_999_999_999),
      verb: fc.constantFrom(...verbPool),
      actor: fc.integer({ min: 1, max: 5 }),
    })
    .map(
      ({ ms, object, verb, actor }) =>
        new Activity({
          actor: actorFor(idScheme, actor, ms, object, verb),
          verb,
          object,
          time: Date.UTC(2024, 0, 1, 12) + ms,
          idScheme,
        }),
    );

/** Activities over three UTC days with colliding seconds: groups and aggregated ids collide. */
const aggregatedActivity = (verbs: readonly Verb[], idScheme: ActivityIdScheme) =>
  fc
    .record({
      day: fc.integer({ min: 0, max: 2 }),
      second: fc.integer({ min: 0, max: 4 }),
      ms: fc.constantFrom(0, 1, 999),
      object: fc.integer({ min: 1, max: 40 }),
      verb: fc.constantFrom(...verbs),
      actor: fc.integer({ min: 1, max: 5 }),
    })
    .map(
      ({ day, second, ms, object, verb, actor }) =>
        new Activity({
          actor: actorFor(idScheme, actor, day * 10_000 + second * 1000 + ms, object, verb),
          verb,
          object,
          time: Date.UTC(2024, 0, 1, 23, 59, 58) + day * 86_400_000 + second * 1000 + ms,
          idScheme,
        }),
    );

function ops(
  poolSize: number,
  maxLength: number,
  options: { duplicatesInBatch: boolean },
): fc.Arbitrary<FeedOp[]> {
  const index = fc.nat(poolSize - 1);
  const batch = options.duplicatesInBatch
    ? fc.array(index, { minLength: 1, maxLength: 6 })
    : fc.uniqueArray(index, { minLength: 1, maxLength: 6 });
  const bound = fc.record({
    kind: fc.constantFrom('gt', 'gte', 'lt', 'lte'),
    base: index,
    delta: fc.constantFrom(-1, 0, 0, 1),
  }) as fc.Arbitrary<Bound>;
  const op: fc.Arbitrary<FeedOp> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant('add'),
        items: batch,
        trim: fc.oneof(
          { weight: 9, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('remove'),
        items: fc.uniqueArray(index, { minLength: 1, maxLength: 4 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('trim'),
        length: fc.integer({ min: 0, max: maxLength + 2 }),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('get'),
        bounds: fc.array(bound, { maxLength: 2 }),
        order: fc.constantFrom('asc', 'desc'),
        offset: fc.oneof(fc.constant(0), fc.nat(maxLength + 3)),
        limit: fc.option(fc.nat(maxLength + 3), { nil: undefined }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ op: 'count' } as const) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('indexOf'), item: index }) },
  );
  return fc.array(op, { minLength: 1, maxLength: 25 });
}

/** `idScheme`: the one the backend's format stores (Python's ids in the Stream Framework format). */
export function flatScenario(
  maxLength: number,
  idScheme: ActivityIdScheme = 'actor',
): fc.Arbitrary<Scenario> {
  return fc
    .uniqueArray(flatActivity(idScheme), {
      selector: (a) => a.serializationId,
      minLength: 4,
      maxLength: 24,
    })
    .chain((pool) =>
      ops(pool.length, maxLength, { duplicatesInBatch: true }).map((list) => ({ pool, ops: list })),
    );
}

export interface AggregatedScenarioOptions {
  maxLength: number;
  /** Fewer verbs make bigger groups (to go past maxActivities). */
  verbs?: readonly Verb[];
  poolSize?: number;
  /** The id scheme of the activities (default 'actor'; 'stream-framework' for that format). */
  idScheme?: ActivityIdScheme;
}

export function aggregatedScenario(options: AggregatedScenarioOptions): fc.Arbitrary<Scenario> {
  return fc
    .uniqueArray(aggregatedActivity(options.verbs ?? verbPool, options.idScheme ?? 'actor'), {
      selector: (a) => a.serializationId,
      minLength: 4,
      maxLength: options.poolSize ?? 30,
    })
    .chain((pool) =>
      ops(pool.length, options.maxLength, { duplicatesInBatch: true }).map((list) => ({
        pool,
        ops: list,
      })),
    );
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

const cmp = compareSerializationIds;

function boundValue(bound: Bound, idOf: (index: number) => string): string {
  const id = BigInt(idOf(bound.base)) + BigInt(bound.delta);
  return (id < 0n ? 0n : id).toString();
}

function toFilter(
  bounds: readonly Bound[],
  idOf: (index: number) => string,
): { filter: FeedFilter; exact: Record<string, string> } {
  const filter: FeedFilter = {};
  const exact: Record<string, string> = {};
  for (const bound of bounds) {
    const value = boundValue(bound, idOf);
    exact[bound.kind] = value;
    if (bound.kind === 'gt') filter.activityIdGt = value;
    if (bound.kind === 'gte') filter.activityIdGte = value;
    if (bound.kind === 'lt') filter.activityIdLt = value;
    if (bound.kind === 'lte') filter.activityIdLte = value;
  }
  return { filter, exact };
}

function within(id: string, bounds: Record<string, string>): boolean {
  if (bounds.gt !== undefined && cmp(id, bounds.gt) <= 0) return false;
  if (bounds.gte !== undefined && cmp(id, bounds.gte) < 0) return false;
  if (bounds.lt !== undefined && cmp(id, bounds.lt) >= 0) return false;
  if (bounds.lte !== undefined && cmp(id, bounds.lte) > 0) return false;
  return true;
}

function page<T>(items: readonly T[], offset: number, limit: number | undefined): T[] {
  return items.slice(offset, limit === undefined ? undefined : offset + limit);
}

export class ModelMismatch extends Error {}

function check(
  label: string,
  step: number,
  history: readonly FeedOp[],
  expected: unknown,
  actual: unknown,
): void {
  const e = JSON.stringify(expected);
  const a = JSON.stringify(actual);
  if (e !== a) {
    throw new ModelMismatch(
      `${label}: step ${step} ${JSON.stringify(history[step])} differs from the model\n  expected ${e}\n  actual   ${a}\n  ops so far: ${JSON.stringify(history.slice(0, step + 1))}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Flat feed

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

// ---------------------------------------------------------------------------------------------
// Aggregated feed

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
