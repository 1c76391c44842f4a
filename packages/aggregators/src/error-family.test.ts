import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SfError } from '@sf/activity';
import * as api from './index.js';

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

/** This package exports no error class of its own: it throws those of @sf/activity. */
const errors: Record<string, () => SfError> = {};

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
        .filter(([, row]) => row.pkg === '@sf/aggregators')
        .map(([name]) => name)
        .sort(),
    ).toEqual(Object.keys(errors).sort());
  });
});
