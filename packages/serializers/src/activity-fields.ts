import {
  Activity,
  type ActivityIdScheme,
  type OpaqueActivity,
  type ExtraContext,
  type RefId,
  SerializationError,
  UnknownVerbError,
  type Verb,
  type VerbRegistry,
} from '@sf/activity';
import type { ActivityClass } from './serializer.js';

/** Prefixes a nested field (`activities[2]` + `time` -> `activities[2].time`). */
export function fieldName(prefix: string, field: string): string {
  return prefix === '' ? field : `${prefix}.${field}`;
}

/** Looks a verb id up, wrapping `UnknownVerbError` as the cause of a `SerializationError`. */
export function resolveVerb(registry: VerbRegistry, id: number, field: string): Verb {
  try {
    return registry.get(id);
  } catch (error) {
    if (error instanceof UnknownVerbError) {
      throw new SerializationError(
        `${field}: unknown verb id ${id} (register the verb before loading activities that use it)`,
        {
          field,
          cause: error,
        },
      );
    }
    throw error;
  }
}

export interface ActivityFields {
  actor: RefId;
  verb: Verb;
  object: RefId;
  target: RefId | null;
  epochMicroseconds: number;
  extraContext: ExtraContext;
  foreignId?: string | null | undefined;
  idScheme: ActivityIdScheme;
}

/** Builds an activity from deserialized fields; constructor errors become `SerializationError`s. */
export function buildActivity(
  cls: ActivityClass,
  fields: ActivityFields,
  prefix: string,
): Activity {
  try {
    return new cls(fields);
  } catch (error) {
    throw new SerializationError(
      `${prefix === '' ? '' : `${prefix}: `}cannot build ${cls.name} from the stored data: ${error instanceof Error ? error.message : String(error)}`,
      { field: prefix === '' ? undefined : prefix, cause: error },
    );
  }
}

/** @throws SerializationError when `value` is not an `Activity` */
export function requireActivity(value: unknown, serializer: string, field?: string): Activity {
  if (!(value instanceof Activity)) {
    throw new SerializationError(
      `${serializer} can only dump an Activity${field ? ` (${field})` : ''}, got ${String(value)}`,
      {
        field,
      },
    );
  }
  return value;
}

/** The stored text of an activity that could not be read, written back verbatim. */
export function opaqueText(activity: OpaqueActivity, prefix: string): string {
  if (activity.raw === null) {
    throw new SerializationError(
      `${prefix || 'activity'}: activity ${activity.serializationId} could not be read (${activity.reason instanceof Error ? activity.reason.message : String(activity.reason)}) and only its id is known, so it cannot be written in full`,
      { field: prefix || undefined },
    );
  }
  return activity.raw;
}
