import { describe, expect, it } from 'vitest';
import type { SfError } from '@sf/activity';
import { errorFamilyProblems } from '@sf/activity/testing';
import * as api from './index.js';
import {
  PostgresConfigurationError,
  PostgresConflictError,
  PostgresCorruptRowError,
  PostgresLockError,
  PostgresPoolExhaustedError,
  PostgresQueryError,
  PostgresSchemaError,
  PostgresTimeoutError,
  PostgresUnavailableError,
} from './index.js';

/** Every error class this package exports, made (their constructors differ). */
const errors: Record<string, () => SfError> = {
  PostgresUnavailableError: () => new PostgresUnavailableError({ operation: 'x' }, new Error('x')),
  PostgresPoolExhaustedError: () =>
    new PostgresPoolExhaustedError({ operation: 'x' }, new Error('x')),
  PostgresTimeoutError: () => new PostgresTimeoutError({ operation: 'x' }, new Error('x')),
  PostgresQueryError: () => new PostgresQueryError({ operation: 'x' }, 'x'),
  PostgresSchemaError: () => new PostgresSchemaError('x'),
  PostgresLockError: () => new PostgresLockError('k', 'x'),
  PostgresConflictError: () => new PostgresConflictError('k', 3),
  PostgresConfigurationError: () => new PostgresConfigurationError('x'),
  PostgresCorruptRowError: () => new PostgresCorruptRowError('sf.t', 'k', '1', new Error('x')),
};

describe('the error family', () => {
  it("matches the table in @sf/activity's README: every exported class, its code and parent", () => {
    expect(errorFamilyProblems({ pkg: '@sf/storage-postgres', api, errors })).toEqual([]);
  });
});
