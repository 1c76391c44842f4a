/**
 * fast-check generators shared by the property tests: activities, aggregated activities and the
 * values each serialization format carries exactly.
 */
import fc from 'fast-check';
import {
  Activity,
  Add,
  AggregatedActivity,
  Comment,
  Follow,
  Love,
  MAX_OBJECT_ID,
  NotificationActivity,
  defineVerb,
} from '@sf/activity';
import type { ActivityIdScheme, Verb } from '@sf/activity';

/** A verb with the largest id a serialization id can carry (3 digits). */
export const Drill = defineVerb({ id: 999, infinitive: 'drill', pastTense: 'drilled' });

export const verbs: readonly Verb[] = [Follow, Comment, Love, Add, Drill];

/** Any code point, lone surrogates included (pickle writes them with `surrogatepass`). */
const anyCodePoint = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xff }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x100, max: 0xffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }) },
);

export function text(maxLength = 12): fc.Arbitrary<string> {
  return fc.array(anyCodePoint, { maxLength }).map((codes) => String.fromCodePoint(...codes));
}

/** Strings without lone surrogates (what survives UTF-8 storage as text). */
export function wellFormedText(maxLength = 12): fc.Arbitrary<string> {
  return text(maxLength).map((value) =>
    value.replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD',
    ),
  );
}

const smallOrLarge = (max: number) => fc.oneof(fc.nat(1000), fc.integer({ min: 0, max }));

/** Values JSON carries exactly (no -0, no NaN / Infinity, no undefined). */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer().filter((n) => !Object.is(n, -0)),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    text(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text(6), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Values the restricted pickle codec carries exactly (no -0; bigints only beyond 2^53). */
export const pickleValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc
      .oneof(fc.integer({ min: -300, max: 70_000 }), fc.maxSafeInteger())
      .filter((n) => !Object.is(n, -0)),
    fc.oneof(
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 200n }),
      fc.bigInt({ min: -(2n ** 200n), max: -(2n ** 53n) }),
    ),
    fc.double().filter((n) => !Number.isSafeInteger(n) && !Object.is(n, -0)),
    text(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text(6), tie('value'), { maxKeys: 4 }),
  ),
})).value;

export interface ActivityOptions {
  /** extraContext values (default: JSON values). */
  context?: fc.Arbitrary<unknown>;
  /** Allow target 0 (the Stream Framework format writes a null target as 0). */
  targetZero?: boolean;
  /** The activities' id scheme (default: either; the Stream Framework format stores only its own). */
  idScheme?: ActivityIdScheme;
}

export function activity(options: ActivityOptions = {}): fc.Arbitrary<Activity> {
  const context = options.context ?? jsonValue;
  return fc
    .record({
      actor: smallOrLarge(Number.MAX_SAFE_INTEGER),
      verb: fc.constantFrom(...verbs),
      object: smallOrLarge(MAX_OBJECT_ID),
      target: fc.option(
        fc.integer({ min: options.targetZero === false ? 1 : 0, max: Number.MAX_SAFE_INTEGER }),
        { nil: null },
      ),
      epochMicroseconds: fc.oneof(
        fc.integer({ min: 1_300_000_000_000_000, max: 1_900_000_000_000_000 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      ),
      extraContext: fc.dictionary(text(8), context, { maxKeys: 4 }),
      idScheme: options.idScheme
        ? fc.constant(options.idScheme)
        : fc.constantFrom<ActivityIdScheme>('actor', 'stream-framework'),
    })
    .map((init) => new Activity(init));
}

export interface AggregatedOptions extends ActivityOptions {
  notification?: boolean;
  /** Characters groups are made of (default: any). */
  group?: fc.Arbitrary<string>;
}

const dateOrNull = fc.option(
  fc
    .oneof(
      fc.integer({ min: 1_300_000_000_000, max: 1_900_000_000_000 }),
      fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }),
    )
    .map((ms) => new Date(ms)),
  { nil: null },
);

/** Aggregated activities built as aggregators build them, with dates and counts sometimes overridden. */
export function aggregated(options: AggregatedOptions = {}): fc.Arbitrary<AggregatedActivity> {
  const group = options.group ?? text(10).filter((g) => g.length > 0);
  return fc
    .record({
      group,
      activities: fc.uniqueArray(activity(options), {
        selector: (a) => a.serializationId,
        maxLength: 18,
      }),
      seenAt: dateOrNull,
      readAt: dateOrNull,
      minimized: fc.option(fc.nat(1_000_000), { nil: undefined }),
      overrideDates: fc.option(fc.tuple(dateOrNull, dateOrNull), { nil: undefined }),
    })
    .map(({ group, activities, seenAt, readAt, minimized, overrideDates }) => {
      const Cls = options.notification ? NotificationActivity : AggregatedActivity;
      const result = new Cls({ group, activities, seenAt, readAt });
      if (minimized !== undefined) result.minimizedActivities = minimized;
      if (overrideDates) [result.createdAt, result.updatedAt] = overrideDates;
      return result;
    });
}

/** The fields of an activity that every serializer must keep. */
export function activityFields(a: Activity) {
  return {
    serializationId: a.serializationId,
    actorId: a.actorId,
    verb: a.verb.id,
    objectId: a.objectId,
    targetId: a.targetId,
    epochMicroseconds: a.epochMicroseconds,
    extraContext: a.extraContext,
  };
}

/** The fields of an aggregated activity that every serializer must keep. */
export function aggregatedFields(a: AggregatedActivity, withActivities: boolean) {
  const time = (d: Date | null) => (d === null ? null : d.getTime());
  return {
    group: a.group,
    createdAt: time(a.createdAt),
    updatedAt: time(a.updatedAt),
    seenAt: time(a.seenAt),
    readAt: time(a.readAt),
    minimizedActivities: a.minimizedActivities,
    activityIds: a.activityIds,
    ...(withActivities ? { activities: a.activities.map(activityFields) } : {}),
  };
}
