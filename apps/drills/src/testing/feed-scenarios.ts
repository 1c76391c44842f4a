/**
 * Random scenarios for the reference models (feed-model.ts): a pool of activities and a sequence
 * of feed operations (add, remove, trim, filtered and paged reads, count, indexOf).
 */
import fc from 'fast-check';
import { Activity, Comment, Follow, Love } from '@sf/activity';
import type { ActivityIdScheme, Verb } from '@sf/activity';
import { Drill } from './arbitraries.js';

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
