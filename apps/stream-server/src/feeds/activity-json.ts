import {
  Activity,
  AggregatedActivity,
  NotificationActivity,
  SerializationError,
  VerbRegistry,
  defaultVerbRegistry,
} from '@sf/activity';
import { jsonFormat } from '@sf/serializers';
import type { Serializer } from '@sf/serializers';
import type { Verb } from '@sf/activity';
import type { VerbConfig } from '../config.js';
import { ConfigError } from '../config.js';
import { badRequest } from '../errors.js';

/** An activity as the API takes it. */
export interface ActivityInput {
  /** Defaults to the publishing user (POST /users/:userId/activities). */
  actor?: number | string;
  /** A verb's infinitive (`"pin"`) or id. */
  verb: string | number;
  /** An integer or a string id. */
  object: number | string;
  target?: number | string | null;
  /** The application's id of the activity (GetStream's foreign_id): unique with its time. */
  foreignId?: string;
  /** ISO 8601 date-time or epoch milliseconds; default now. */
  time?: string | number;
  extraContext?: Record<string, unknown>;
}

/** An activity as the API returns it. */
export interface ActivityOutput {
  /** The serialization id: time, object id, verb id and actor id, as decimal digits. */
  id: string;
  actor: number | string;
  verb: string;
  object: number | string;
  target: number | string | null;
  foreignId: string | null;
  time: string;
  extraContext: Record<string, unknown>;
}

export interface AggregatedOutput {
  id: string;
  group: string;
  verbs: string[];
  activityCount: number;
  actorCount: number;
  actorIds: Array<number | string>;
  createdAt: string | null;
  updatedAt: string | null;
  activities: ActivityOutput[];
  seen?: boolean;
  read?: boolean;
}

/**
 * The verbs of a server: the configured ones, or Stream Framework's defaults (follow, comment,
 * love, add) when the config defines none.
 */
export class Verbs {
  readonly registry: VerbRegistry;
  readonly #byName = new Map<string, Verb>();
  /** Checks that an activity can be stored (extraContext nesting, values) before any write. */
  readonly serializer: Serializer<Activity>;

  constructor(config: readonly VerbConfig[]) {
    this.registry = new VerbRegistry();
    const verbs = config.length > 0 ? config : defaultVerbRegistry.list();
    for (const verb of verbs) {
      if (this.#byName.has(verb.infinitive))
        throw new ConfigError(
          `config verbs: the infinitive ${JSON.stringify(verb.infinitive)} is used twice`,
          { path: 'verbs', value: verb.infinitive },
        );
      try {
        this.#byName.set(
          verb.infinitive,
          this.registry.register({
            id: verb.id,
            infinitive: verb.infinitive,
            pastTense: verb.pastTense,
          }),
        );
      } catch (error) {
        throw new ConfigError(`config verbs: ${(error as Error).message}`, {
          path: 'verbs',
          value: verb,
          cause: error,
        });
      }
    }
    this.serializer = jsonFormat({ verbRegistry: this.registry }).activitySerializer();
  }

  list(): Verb[] {
    return this.registry.list();
  }

  /** Infinitives and ids, for schemas. */
  names(): Array<string | number> {
    const verbs = this.list();
    return [...verbs.map((v) => v.infinitive), ...verbs.map((v) => v.id)];
  }

  resolve(verb: string | number): Verb {
    const found =
      typeof verb === 'number'
        ? this.registry.has(verb)
          ? this.registry.get(verb)
          : undefined
        : this.#byName.get(verb);
    if (!found)
      throw badRequest(
        `unknown verb ${JSON.stringify(verb)}; known verbs: ${this.list()
          .map((v) => `${v.infinitive} (${v.id})`)
          .join(', ')}`,
      );
    return found;
  }
}

function parseTime(time: string | number | undefined): number | undefined {
  if (time === undefined) return undefined;
  if (typeof time === 'number') return time;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(time)) {
    throw badRequest(
      `activity time must be an ISO 8601 date-time with a time zone (e.g. 2024-05-01T12:00:00Z) or epoch milliseconds, got ${JSON.stringify(time)}`,
    );
  }
  const milliseconds = Date.parse(time);
  if (Number.isNaN(milliseconds))
    throw badRequest(`activity time ${JSON.stringify(time)} is not a valid date`);
  return milliseconds;
}

/** Builds an Activity from validated input; library validation errors become 400s. */
export function toActivity(input: ActivityInput, verbs: Verbs, actor?: number | string): Activity {
  if (actor !== undefined && input.actor !== undefined && input.actor !== actor) {
    throw badRequest(
      `activity actor ${input.actor} is not the publishing user ${actor}; omit actor or send the same id`,
    );
  }
  const actorId = input.actor ?? actor;
  if (actorId === undefined) throw badRequest('activity actor is required');
  const activity = new Activity({
    actor: actorId,
    verb: verbs.resolve(input.verb),
    object: input.object,
    target: input.target ?? null,
    time: parseTime(input.time),
    extraContext: input.extraContext ?? {},
    foreignId: input.foreignId ?? null,
  });
  try {
    verbs.serializer.dumps(activity);
  } catch (error) {
    if (error instanceof SerializationError)
      throw badRequest(`activity cannot be stored: ${error.message}`);
    throw error;
  }
  return activity;
}

/** Ids as JSON: numbers and strings as they are, bigints (beyond 2^53) as decimal strings. */
function outputId(id: number | bigint | string): number | string {
  return typeof id === 'bigint' ? id.toString() : id;
}

export function activityOutput(activity: Activity): ActivityOutput {
  return {
    id: activity.serializationId,
    actor: outputId(activity.actorId),
    verb: activity.verb.infinitive,
    object: outputId(activity.objectId),
    target: activity.targetId === null ? null : outputId(activity.targetId),
    foreignId: activity.foreignId,
    time: activity.time.toISOString(),
    extraContext: { ...activity.extraContext },
  };
}

export function aggregatedOutput(aggregated: AggregatedActivity): AggregatedOutput {
  const output: AggregatedOutput = {
    id: aggregated.serializationId,
    group: aggregated.group,
    verbs: aggregated.verbs.map((verb) => verb.infinitive),
    activityCount: aggregated.activityCount,
    actorCount: aggregated.actorCount,
    actorIds: aggregated.actorIds.map(outputId),
    createdAt: aggregated.createdAt?.toISOString() ?? null,
    updatedAt: aggregated.updatedAt?.toISOString() ?? null,
    activities: aggregated.lastActivities.map(activityOutput),
  };
  if (aggregated instanceof NotificationActivity) {
    output.seen = aggregated.isSeen();
    output.read = aggregated.isRead();
  }
  return output;
}
