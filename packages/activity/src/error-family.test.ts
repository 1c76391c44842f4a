import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from './index.js';
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

/** The family table of README.md ("The error family"): class -> { package, extends, code }. */
function familyTable(): Map<string, { pkg: string; parent: string; code: string }> {
  const text = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('### The error family'));
  const rows = new Map<string, { pkg: string; parent: string; code: string }>();
  for (const match of section.matchAll(
    /^\| `(\w+)` +\| `([@\w/-]+)` +\| `(\w+)` +\| `(\w+)` +\|/gm,
  )) {
    expect(rows.has(match[1]!), `${match[1]} is listed twice`).toBe(false);
    rows.set(match[1]!, { pkg: match[2]!, parent: match[3]!, code: match[4]! });
  }
  return rows;
}

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
  const table = familyTable();

  it('lists every exported error class of this package', () => {
    const exported = Object.entries(api)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
      .map(([name]) => name);
    expect(exported.sort()).toEqual(Object.keys(errors).sort());
    expect(
      [...table]
        .filter(([, row]) => row.pkg === '@sf/activity')
        .map(([name]) => name)
        .sort(),
    ).toEqual(Object.keys(errors).sort());
  });

  it.each(Object.entries(errors))('%s is an SfError with the code of the table', (name, make) => {
    const error = make();
    expect(error).toBeInstanceOf(SfError);
    expect(error.name).toBe(name);
    expect(error.code).toBe(table.get(name)?.code);
    expect(Object.getPrototypeOf(error.constructor).name).toBe(table.get(name)?.parent);
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
