import { describe, expect, it } from 'vitest';
import type { SfError } from '@sf/activity';
import { errorFamilyProblems } from '@sf/activity/testing';
import * as api from './index.js';
import {
  CassandraConfigurationError,
  CassandraLockError,
  CassandraQueryError,
  CassandraSchemaError,
  CassandraSerializationError,
  CassandraTimeoutError,
  CassandraUnavailableError,
} from './index.js';

/** Every error class this package exports, made (their constructors differ). */
const errors: Record<string, () => SfError> = {
  CassandraUnavailableError: () => new CassandraUnavailableError({ operation: 'connect' }, 'x'),
  CassandraTimeoutError: () => new CassandraTimeoutError({ operation: 'connect' }, 'x'),
  CassandraQueryError: () => new CassandraQueryError({ operation: 'connect' }, 'x'),
  CassandraSchemaError: () => new CassandraSchemaError('x'),
  CassandraLockError: () => new CassandraLockError('k', 'x'),
  CassandraConfigurationError: () => new CassandraConfigurationError('x'),
  CassandraSerializationError: () =>
    new CassandraSerializationError('ks.t', 'k', '1', new Error('x')),
};

describe('the error family', () => {
  it("matches the table in @sf/activity's README: every exported class, its code and parent", () => {
    expect(
      errorFamilyProblems({
        pkg: '@sf/storage-cassandra',
        api,
        errors,
      }),
    ).toEqual([]);
  });
});
