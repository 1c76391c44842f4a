import { describe, expect, it } from 'vitest';
import type { SfError } from '@sf/activity';
import { errorFamilyProblems } from '@sf/activity/testing';
import * as api from './index.js';
import {
  FormatMismatchError,
  InvalidFeedOptionError,
  InvalidQueryError,
  RankingScoreError,
  StorageConfigurationError,
  StorageLockError,
} from './index.js';

/** Every error class this package exports, made (their constructors differ). */
const errors: Record<string, () => SfError> = {
  InvalidFeedOptionError: () =>
    new InvalidFeedOptionError('x', { path: 'options.maxLength', value: 0 }),
  InvalidQueryError: () => new InvalidQueryError('x', { path: 'query.limit', value: -1 }),
  StorageLockError: () => new StorageLockError('feed:1', 'x'),
  RankingScoreError: () => new RankingScoreError('x', { ranking: 'popular', value: Number.NaN }),
  StorageConfigurationError: () =>
    new StorageConfigurationError('x', { path: 'options.url', value: 'x' }),
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

describe('the error family', () => {
  it("matches the table in @sf/activity's README: every exported class, its code and parent", () => {
    expect(
      errorFamilyProblems({
        pkg: '@sf/feeds',
        api,
        errors,
      }),
    ).toEqual([]);
  });
});
