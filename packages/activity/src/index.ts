export {
  Activity,
  MAX_ACTIVITY_TIME_MS,
  MAX_EPOCH_MICROSECONDS,
  MAX_STRING_ID_LENGTH,
  sortActivities,
} from './activity.js';
export type { ActivityInit, ActivityRef, ExtraContext, RefId } from './activity.js';
export {
  AggregatedActivity,
  MAX_AGGREGATED_ACTIVITIES_LENGTH,
  NotificationActivity,
} from './aggregated-activity.js';
export type { ActivityOrId, AggregatedActivityInit } from './aggregated-activity.js';
export {
  comparePreciseDates,
  copyPreciseDate,
  dateFromEpochMicroseconds,
  epochMicrosecondsOfDate,
} from './precise-date.js';
export { DehydratedActivity } from './dehydrated-activity.js';
export { OpaqueActivity } from './opaque-activity.js';
export type { OpaqueActivityInit } from './opaque-activity.js';
export {
  ActivityConflictError,
  ActivityNotFoundError,
  DuplicateActivityError,
  EmptyAggregationError,
  InvalidActivityError,
  InvalidArgumentError,
  InvalidVerbError,
  SerializationError,
  SerializationIdError,
  SfError,
  StorageError,
  StorageUnavailableError,
  UnknownVerbError,
} from './errors.js';
export type {
  InvalidArgumentErrorOptions,
  InvalidArgumentSubclassOptions,
  SfErrorOptions,
} from './errors.js';
export {
  ACTIVITY_ID_SCHEMES,
  ACTOR_ID_DIGITS,
  MAX_OBJECT_ID,
  MAX_SERIALIZATION_ID_LENGTH,
  compareSerializationIds,
  computeActorSerializationId,
  computeSerializationId,
  isSerializationId,
  toSerializationId,
} from './serialization-id.js';
export type { ActivityIdScheme } from './serialization-id.js';
export {
  Add,
  Comment,
  Follow,
  Love,
  MAX_VERB_ID,
  VerbRegistry,
  defaultVerbRegistry,
  defineVerb,
  getVerbById,
  registerVerb,
} from './verb.js';
export type { Verb } from './verb.js';
