import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SfError } from '@sf/activity';
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

// The family table lives in @sf/activity's README ("The error family"); codes are unique there.
function familyTable(): Map<string, { pkg: string; parent: string; code: string }> {
  const text = readFileSync(new URL('../../activity/README.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('### The error family'));
  const rows = new Map<string, { pkg: string; parent: string; code: string }>();
  for (const match of section.matchAll(
    /^\| `(\w+)` +\| `([@\w/-]+)` +\| `(\w+)` +\| `(\w+)` +\|/gm,
  )) {
    rows.set(match[1]!, { pkg: match[2]!, parent: match[3]!, code: match[4]! });
  }
  return rows;
}

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
  const table = familyTable();

  it('gives the internal PickleCensusError the code of the table', () => {
    const error = new PickleCensusError('truncated');
    expect(error).toBeInstanceOf(SfError);
    expect(error.code).toBe(table.get('PickleCensusError')?.code);
  });

  it('lists every exported error class of this package', () => {
    const exported = Object.entries(api)
      .filter(
        ([, value]) =>
          typeof value === 'function' &&
          (value as { prototype?: unknown }).prototype instanceof Error,
      )
      .map(([name]) => name);
    expect(exported.sort()).toEqual(Object.keys(errors).sort());
    expect(
      [...table]
        .filter(([, row]) => row.pkg === '@sf/storage-redis')
        .map(([name]) => name)
        .filter((name) => !internal.includes(name))
        .sort(),
    ).toEqual(
      Object.keys(errors)
        .filter((name) => name !== 'FormatMismatchError')
        .sort(),
    );
  });

  it.each(Object.entries(errors))('%s is an SfError with the code of the table', (name, make) => {
    const error = make();
    expect(error).toBeInstanceOf(SfError);
    expect(error.name).toBe(name);
    expect(error.code).toBe(table.get(name)?.code);
    expect(Object.getPrototypeOf(error.constructor).name).toBe(table.get(name)?.parent);
  });
});
