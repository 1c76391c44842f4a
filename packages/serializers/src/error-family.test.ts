import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SfError } from '@sf/activity';
import * as api from './index.js';
import { InvalidFormatError } from './index.js';

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
  InvalidFormatError: () => new InvalidFormatError('x.format', 'pickle', 'is wrong'),
};

describe('the error family', () => {
  const table = familyTable();

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
        .filter(([, row]) => row.pkg === '@sf/serializers')
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
});
