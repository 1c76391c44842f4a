import { describe, expect, it } from 'vitest';
import type { SfError } from '@sf/activity';
import { errorFamilyProblems } from '@sf/activity/testing';
import * as api from './index.js';

/** This package exports no error class of its own: it throws those of @sf/activity. */
const errors: Record<string, () => SfError> = {};

describe('the error family', () => {
  it("matches the table in @sf/activity's README: every exported class, its code and parent", () => {
    expect(
      errorFamilyProblems({
        pkg: '@sf/aggregators',
        api,
        errors,
      }),
    ).toEqual([]);
  });
});
