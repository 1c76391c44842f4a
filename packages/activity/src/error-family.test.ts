import { describe, expect, it } from 'vitest';
import * as api from './index.js';
import { errorFamilyProblems, readErrorFamilyTable } from './testing/index.js';
import {
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
} from './index.js';

/** Every error class this package exports, made (their constructors differ). */
const errors: Record<string, () => SfError> = {
  SfError: () => new SfError('SF_DEHYDRATED', 'x'),
  InvalidArgumentError: () => new InvalidArgumentError('x', { path: 'options.x' }),
  InvalidActivityError: () => new InvalidActivityError('x'),
  InvalidVerbError: () => new InvalidVerbError('x'),
  SerializationIdError: () => new SerializationIdError('x'),
  DuplicateActivityError: () => new DuplicateActivityError('1', 'g'),
  ActivityNotFoundError: () => new ActivityNotFoundError('1', 'x'),
  EmptyAggregationError: () => new EmptyAggregationError('g'),
  UnknownVerbError: () => new UnknownVerbError(1),
  SerializationError: () => new SerializationError('x'),
  ActivityConflictError: () => new ActivityConflictError('1', 1, 2),
  StorageError: () => new StorageError('x'),
  StorageUnavailableError: () => new StorageUnavailableError('x'),
};

describe('the error family', () => {
  const table = readErrorFamilyTable();

  it('matches the table in this README: every exported class, its code and parent', () => {
    expect(errorFamilyProblems({ pkg: '@sf/activity', api, errors })).toEqual([]);
  });

  it("reports a class whose code or parent is not the table's", () => {
    class WrongCode extends SfError {
      constructor() {
        super('SF_WRONG', 'x');
      }
    }
    expect(
      errorFamilyProblems({
        pkg: '@sf/activity',
        api: { ...api, WrongCode },
        errors: { ...errors, WrongCode: () => new WrongCode() },
      }),
    ).toEqual([
      expect.stringContaining('rows of @sf/activity'),
      'WrongCode has code SF_WRONG, table undefined',
      'WrongCode extends SfError, table undefined',
    ]);
  });

  it('gives each class its own code, unless it is a backend flavour keeping its parent code', () => {
    const byCode = new Map<string, string[]>();
    for (const [name, row] of table) byCode.set(row.code, [...(byCode.get(row.code) ?? []), name]);
    for (const [code, names] of byCode) {
      if (names.length === 1) continue;
      // One owner; every other class with the code extends a class with the same code.
      const owners = names.filter((name) => table.get(table.get(name)!.parent)?.code !== code);
      expect([code, owners]).toEqual([code, [owners[0]]]);
    }
    for (const [name, row] of table) {
      expect(row.code, name).toMatch(/^SF_[A-Z0-9_]+$/);
      if (row.parent !== 'Error')
        expect(table.has(row.parent), `${name} extends ${row.parent}`).toBe(true);
    }
  });
});
