import { Activity, type ActivityRef } from './activity.js';
import { ACTOR_ID_DIGITS, type ActivityIdScheme, toSerializationId } from './serialization-id.js';
import type { Verb } from './verb.js';

export interface OpaqueActivityInit {
  /** The stored id, kept exactly. */
  serializationId: string;
  /** The stored text, written back verbatim; null when only the id is known. */
  raw: string | null;
  /** Why it could not be read (the deserializer's error, or "missing from the activity storage"). */
  reason: unknown;
  /** What could be read of it; by default derived from a Stream Framework id (time, object, verb). */
  actor?: ActivityRef | undefined;
  verb?: Verb | number | undefined;
  object?: ActivityRef | undefined;
  target?: ActivityRef | null | undefined;
  epochMicroseconds?: number | undefined;
  /**
   * The scheme the stored id was made with; by default `'actor'` for ids longer than the 26
   * digits a Stream Framework id has until 2286, else `'stream-framework'`.
   */
  idScheme?: ActivityIdScheme | undefined;
}

/** The longest Stream Framework id until 2286: 13 digits of milliseconds, 10 of object, 3 of verb. */
const STREAM_FRAMEWORK_ID_DIGITS = 26;

let pendingId: string | undefined;

/** Time, object and verb of a Stream Framework id (`<ms><object:10><verb:3>`), when it has that shape. */
function fromStreamFrameworkId(id: string): {
  epochMicroseconds: number;
  object: number;
  verb: number;
} {
  if (id.length <= 13) return { epochMicroseconds: 0, object: 0, verb: Number(id.slice(-3)) };
  const milliseconds = Number(id.slice(0, -13));
  return {
    epochMicroseconds: Number.isSafeInteger(milliseconds * 1000) ? milliseconds * 1000 : 0,
    object: Number(id.slice(-13, -3)),
    verb: Number(id.slice(-3)),
  };
}

/**
 * An activity this library could not read (an unknown pickle class in its extra context, an
 * unregistered verb, a value missing from the activity storage...), kept so that writes merging
 * into or removing from its aggregated activity never drop it: aggregated feeds keep its id,
 * notification feeds write its stored text back verbatim. Feeds leave it out of pages and report
 * its id to `onMissingActivities`; its `extraContext` is empty and its fields are what could be
 * read (for an id only: time, object and verb as a Stream Framework id holds them).
 */
export class OpaqueActivity extends Activity {
  readonly raw: string | null;
  readonly reason: unknown;

  constructor(init: OpaqueActivityInit) {
    const id = toSerializationId(init.serializationId);
    const idScheme =
      init.idScheme ?? (id.length > STREAM_FRAMEWORK_ID_DIGITS ? 'actor' : 'stream-framework');
    const derived = fromStreamFrameworkId(
      idScheme === 'actor' ? id.slice(0, -ACTOR_ID_DIGITS) || '0' : id,
    );
    const actor =
      idScheme === 'actor' && id.length > ACTOR_ID_DIGITS ? BigInt(id.slice(-ACTOR_ID_DIGITS)) : 0n;
    const verb = init.verb ?? derived.verb;
    pendingId = id;
    try {
      super({
        actor: init.actor ?? actor,
        verb:
          typeof verb === 'number'
            ? { id: verb, infinitive: 'unknown', pastTense: 'unknown' }
            : verb,
        object: init.object ?? derived.object,
        target: init.target ?? null,
        epochMicroseconds: init.epochMicroseconds ?? derived.epochMicroseconds,
        idScheme,
      });
    } finally {
      pendingId = undefined;
    }
    this.raw = init.raw;
    this.reason = init.reason;
  }

  /** The stored id, exactly. */
  protected override computeSerializationId(): string {
    return pendingId ?? super.computeSerializationId();
  }

  override toString(): string {
    return `OpaqueActivity(${this.serializationId})`;
  }
}
