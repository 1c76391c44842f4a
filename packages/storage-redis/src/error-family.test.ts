import { describe, expect, it } from 'vitest';
import { SfError } from '@sf/activity';
import { errorFamilyProblems, readErrorFamilyTable } from '@sf/activity/testing';
import * as api from './index.js';
import { PickleCensusError } from './check/pickle-census.js';
import {
  FormatMismatchError,
  RedisConfigurationError,
  RedisLockError,
  RedisReplyError,
  RedisSerializationError,
  RedisUnavailableError,
} from './index.js';

/** Every error class this package exports, made (their constructors differ). */
const errors: Record<string, () => SfError> = {
  RedisUnavailableError: () =>
    new RedisUnavailableError({ operation: 'timeline.get' }, new Error('ECONNREFUSED')),
  RedisReplyError: () => new RedisReplyError({ operation: 'timeline.get' }, 'x'),
  RedisLockError: () => new RedisLockError('k', 'x'),
  RedisConfigurationError: () => new RedisConfigurationError('x'),
  RedisSerializationError: () => new RedisSerializationError('k', 'e', new Error('x')),
  // Re-exported from @sf/feeds, where its row is.
  FormatMismatchError: () =>
    new FormatMismatchError({
      key: 'k',
      kind: 'flat',
      configuredFormat: 'json',
      detectedFormat: 'stream-framework',
      entries: 1,
      decoded: 1,
    }),
};

// Classes of the migration check, not exported: PickleCensusError is checked below; UsageError
// lives in the CLI module (which runs when imported), its message printed with the usage.
const internal = ['PickleCensusError', 'UsageError'];

describe('the error family', () => {
  it('gives the internal PickleCensusError the code of the table', () => {
    const error = new PickleCensusError('truncated');
    expect(error).toBeInstanceOf(SfError);
    expect(error.code).toBe(readErrorFamilyTable().get('PickleCensusError')?.code);
  });

  it("matches the table in @sf/activity's README: every exported class, its code and parent", () => {
    expect(
      errorFamilyProblems({
        pkg: '@sf/storage-redis',
        api,
        errors,
        reexported: ['FormatMismatchError'],
        internal,
      }),
    ).toEqual([]);
  });
});
