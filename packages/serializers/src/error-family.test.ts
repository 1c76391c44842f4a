import { describe, expect, it } from 'vitest';
import type { SfError } from '@sf/activity';
import { errorFamilyProblems } from '@sf/activity/testing';
import * as api from './index.js';
import { InvalidFormatError } from './index.js';

/** Every error class this package exports, made (their constructors differ). */
const errors: Record<string, () => SfError> = {
  InvalidFormatError: () => new InvalidFormatError('x.format', 'pickle', 'is wrong'),
};

describe('the error family', () => {
  it("matches the table in @sf/activity's README: every exported class, its code and parent", () => {
    expect(
      errorFamilyProblems({
        pkg: '@sf/serializers',
        api,
        errors,
      }),
    ).toEqual([]);
  });
});
