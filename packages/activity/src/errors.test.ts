import { describe, expect, it } from 'vitest';
import {
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
import { defineVerb } from './verb.js';

describe('error classes', () => {
  const cases: Array<[SfError, string, string, string, new (...args: never[]) => SfError]> = [
    [new SfError('SF_CUSTOM', 'custom'), 'SfError', 'SF_CUSTOM', 'custom', SfError],
    [
      new SerializationError('bad field', { field: 'verb' }),
      'SerializationError',
      'SF_SERIALIZATION',
      'bad field',
      SerializationError,
    ],
    [
      new InvalidActivityError('bad input'),
      'InvalidActivityError',
      'SF_INVALID_ACTIVITY',
      'bad input',
      InvalidActivityError,
    ],
    [
      new SerializationIdError('too long'),
      'SerializationIdError',
      'SF_SERIALIZATION_ID',
      'too long',
      SerializationIdError,
    ],
    [
      new ActivityNotFoundError('123', 'feed x'),
      'ActivityNotFoundError',
      'SF_ACTIVITY_NOT_FOUND',
      'activity 123 not found in feed x',
      ActivityNotFoundError,
    ],
    [
      new DuplicateActivityError('123', 'g1'),
      'DuplicateActivityError',
      'SF_DUPLICATE_ACTIVITY',
      'activity 123 is already in aggregated activity "g1"',
      DuplicateActivityError,
    ],
    [
      new EmptyAggregationError('g1'),
      'EmptyAggregationError',
      'SF_EMPTY_AGGREGATION',
      'removing the last activity of aggregated activity "g1" would leave it empty; remove the aggregated activity instead',
      EmptyAggregationError,
    ],
    [
      new UnknownVerbError(12),
      'UnknownVerbError',
      'SF_UNKNOWN_VERB',
      'no verb is registered with id 12',
      UnknownVerbError,
    ],
    [
      new InvalidVerbError('clash'),
      'InvalidVerbError',
      'SF_INVALID_VERB',
      'clash',
      InvalidVerbError,
    ],
    [new StorageError('down'), 'StorageError', 'SF_STORAGE', 'down', StorageError],
    [
      new StorageUnavailableError('refused'),
      'StorageUnavailableError',
      'SF_STORAGE_UNAVAILABLE',
      'refused',
      StorageUnavailableError,
    ],
  ];

  it.each(cases)('%s has name %s, code %s and message', (error, name, code, message, Class) => {
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(SfError);
    expect(error).toBeInstanceOf(Error);
    expect(SfError.isInstance(error)).toBe(true);
    expect(String(error)).toBe(`${name}: ${message}`);
    expect(error.stack).toContain(name);
  });

  it('StorageUnavailableError is a StorageError', () => {
    const error = new StorageUnavailableError('refused');
    expect(error).toBeInstanceOf(StorageError);
    expect(error).not.toBeInstanceOf(InvalidActivityError);
  });

  it('StorageError accepts a more specific code', () => {
    expect(new StorageError('timeout', { code: 'SF_STORAGE_TIMEOUT' }).code).toBe(
      'SF_STORAGE_TIMEOUT',
    );
  });

  it('keeps the cause when given, and has none otherwise', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new StorageUnavailableError('refused', { cause }).cause).toBe(cause);
    expect(new InvalidActivityError('x', { cause: 'why' }).cause).toBe('why');
    expect('cause' in new InvalidActivityError('x')).toBe(false);
  });

  it('exposes the details of the failure', () => {
    expect(new SerializationError('bad', { field: 'verb' }).field).toBe('verb');
    expect(new SerializationError('bad').field).toBeUndefined();
    expect(new ActivityNotFoundError('123', 'x').activityId).toBe('123');
    expect(new DuplicateActivityError('456', 'g').activityId).toBe('456');
    expect(new UnknownVerbError('love').verbId).toBe('love');
  });

  it('a subclass of a subclass keeps its own name and the instanceof chain', () => {
    class RedisDownError extends StorageUnavailableError {}
    const error = new RedisDownError('redis is down');
    expect(error.name).toBe('RedisDownError');
    expect(error.code).toBe('SF_STORAGE_UNAVAILABLE');
    expect(error).toBeInstanceOf(RedisDownError);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toBeInstanceOf(SfError);
  });
});

describe('SfError.isInstance', () => {
  it('is false for other errors and non-errors', () => {
    expect(SfError.isInstance(new Error('x'))).toBe(false);
    expect(SfError.isInstance(new TypeError('x'))).toBe(false);
    expect(SfError.isInstance(null)).toBe(false);
    expect(SfError.isInstance(undefined)).toBe(false);
    expect(SfError.isInstance('SF_STORAGE')).toBe(false);
    expect(SfError.isInstance({ code: 'SF_STORAGE' })).toBe(false);
  });

  it('recognises errors from another copy of the package by their global marker', () => {
    const foreign = Object.assign(new Error('from another copy'), {
      code: 'SF_STORAGE',
      [Symbol.for('@sf/error')]: true,
    });
    expect(foreign instanceof SfError).toBe(false);
    expect(SfError.isInstance(foreign)).toBe(true);
  });
});

describe('InvalidArgumentError', () => {
  it('carries the path, the value and a stable code; InvalidActivityError is one', () => {
    const error = new InvalidArgumentError('options.maxLength must be a positive integer', {
      path: 'options.maxLength',
      value: -1,
    });
    expect(error).toBeInstanceOf(SfError);
    expect(error.code).toBe('SF_INVALID_ARGUMENT');
    expect(error.path).toBe('options.maxLength');
    expect(error.value).toBe(-1);
    const activityError = new InvalidActivityError('bad time', { field: 'time', value: 'x' });
    expect(activityError).toBeInstanceOf(InvalidArgumentError);
    expect(activityError.code).toBe('SF_INVALID_ACTIVITY');
    expect(activityError.path).toBe('time');
    expect(activityError.field).toBe('time');
    expect(activityError.value).toBe('x');
  });
});

describe('InvalidArgumentError.isInstance', () => {
  it('is true for every InvalidArgumentError, also from another copy of the package', () => {
    expect(InvalidArgumentError.isInstance(new InvalidArgumentError('x', { path: 'p' }))).toBe(
      true,
    );
    expect(InvalidArgumentError.isInstance(new InvalidActivityError('x'))).toBe(true);
    expect(InvalidArgumentError.isInstance(new InvalidVerbError('x'))).toBe(true);
    expect(InvalidArgumentError.isInstance(new StorageError('x'))).toBe(false);
    expect(InvalidArgumentError.isInstance(new Error('x'))).toBe(false);
    expect(InvalidArgumentError.isInstance(null)).toBe(false);
    const foreign = Object.assign(new Error('from another copy'), {
      code: 'SF_INVALID_QUERY',
      [Symbol.for('@sf/error')]: true,
      [Symbol.for('@sf/invalid-argument')]: true,
    });
    expect(InvalidArgumentError.isInstance(foreign)).toBe(true);
    expect(SfError.isInstance(new InvalidArgumentError('x', { path: 'p' }))).toBe(true);
  });

  it('InvalidVerbError names the verb field that was wrong', () => {
    let caught: unknown;
    try {
      defineVerb({ id: 1000, infinitive: 'x', pastTense: 'xed' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidVerbError);
    expect(caught).toMatchObject({ code: 'SF_INVALID_VERB', path: 'verb.id', value: 1000 });
    expect(new InvalidVerbError('x').path).toBe('verb');
  });
});
