import { describe, expect, it } from 'vitest';
import * as api from './index.js';

describe('public API', () => {
  it('exports exactly the documented values', () => {
    expect(Object.keys(api).sort()).toEqual([
      'ACTIVITY_ID_SCHEMES',
      'ACTOR_ID_DIGITS',
      'Activity',
      'ActivityConflictError',
      'ActivityNotFoundError',
      'Add',
      'AggregatedActivity',
      'Comment',
      'DehydratedActivity',
      'DuplicateActivityError',
      'EmptyAggregationError',
      'Follow',
      'InvalidActivityError',
      'InvalidArgumentError',
      'InvalidVerbError',
      'Love',
      'MAX_ACTIVITY_TIME_MS',
      'MAX_AGGREGATED_ACTIVITIES_LENGTH',
      'MAX_EPOCH_MICROSECONDS',
      'MAX_OBJECT_ID',
      'MAX_SERIALIZATION_ID_LENGTH',
      'MAX_STRING_ID_LENGTH',
      'MAX_VERB_ID',
      'NotificationActivity',
      'OpaqueActivity',
      'SerializationError',
      'SerializationIdError',
      'SfError',
      'StorageError',
      'StorageUnavailableError',
      'UnknownVerbError',
      'VerbRegistry',
      'comparePreciseDates',
      'compareSerializationIds',
      'computeActorSerializationId',
      'computeSerializationId',
      'copyPreciseDate',
      'dateFromEpochMicroseconds',
      'defaultVerbRegistry',
      'defineVerb',
      'epochMicrosecondsOfDate',
      'getVerbById',
      'isSerializationId',
      'registerVerb',
      'sortActivities',
      'toSerializationId',
    ]);
  });

  it('exports the constants with their values', () => {
    expect([api.MAX_AGGREGATED_ACTIVITIES_LENGTH, api.MAX_OBJECT_ID, api.MAX_VERB_ID]).toEqual([
      15, 9_999_999_999, 999,
    ]);
  });
});
