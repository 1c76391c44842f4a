import { readFileSync } from 'node:fs';
import { Activity, Love, SerializationError } from '@sf/activity';
import { jsonFormat } from '@sf/serializers';
import { describe, expect, it } from 'vitest';
import { FormatMismatchError, detectFormatMismatch } from './format-mismatch.js';

/** Strings written by the Python Stream Framework 1.4 (/work/shared/vectors, copied in storage-redis). */
const vectors = JSON.parse(
  readFileSync(
    new URL('../../storage-redis/test/fixtures/sf-redis-scenario.json', import.meta.url),
    'utf8',
  ),
) as { keys: Record<string, { value: unknown }> };
const pythonActivities = Object.values(
  vectors.keys['global:3']!.value as Record<string, string>,
).map((latin1) => Buffer.from(latin1, 'latin1').toString('utf8'));
const pythonGroups = (vectors.keys['feed:aggregated:21']!.value as Array<[string, number]>).map(
  ([member]) => member,
);

describe('detectFormatMismatch', () => {
  it('names the format the entries decode in', () => {
    const error = detectFormatMismatch({
      key: 'global:3',
      feedKey: 'feed:normal:21',
      kind: 'activity',
      format: 'json',
      entries: pythonActivities,
    });
    expect(error).toBeInstanceOf(FormatMismatchError);
    expect(error).toBeInstanceOf(SerializationError);
    expect([error!.detectedFormat, error!.entries, error!.decoded, error!.feedKey]).toEqual([
      'stream-framework',
      3,
      3,
      'feed:normal:21',
    ]);
    expect(error!.message).toContain("configure format: 'stream-framework'");
    expect(
      detectFormatMismatch({ key: 'k', kind: 'aggregated', format: 'json', entries: pythonGroups })
        ?.detectedFormat,
    ).toBe('stream-framework');
    const json = jsonFormat()
      .activitySerializer()
      .dumps(new Activity({ actor: 1, verb: Love, object: 2, time: 0 }));
    expect(
      detectFormatMismatch({
        key: 'k',
        kind: 'activity',
        format: 'stream-framework',
        entries: [json, 'garbage'],
      })?.decoded,
    ).toBe(1);
  });

  it('finds none in garbage, in flat timelines (ids in every format) and for formats it does not know', () => {
    expect(
      detectFormatMismatch({
        key: 'k',
        kind: 'activity',
        format: 'json',
        entries: ['garbage', '1,2,3'],
      }),
    ).toBeUndefined();
    expect(
      detectFormatMismatch({ key: 'k', kind: 'flat', format: 'json', entries: ['x'] }),
    ).toBeUndefined();
    expect(
      detectFormatMismatch({
        key: 'k',
        kind: 'activity',
        format: 'custom',
        entries: pythonActivities,
      }),
    ).toBeUndefined();
    expect(
      detectFormatMismatch({ key: 'k', kind: 'activity', format: 'json', entries: [] }),
    ).toBeUndefined();
  });

  it('counts an entry whose verb the default registry lacks as decoding', () => {
    const unknownVerb = pythonActivities[0]!.replace(/^(\d+),\d+,/, '$1,99,');
    expect(
      detectFormatMismatch({ key: 'k', kind: 'activity', format: 'json', entries: [unknownVerb] })
        ?.decoded,
    ).toBe(1);
  });

  it('forFeed names the feed once', () => {
    const error = detectFormatMismatch({
      key: 'global:3',
      kind: 'activity',
      format: 'json',
      entries: pythonActivities,
    })!;
    expect(error.feedKey).toBeUndefined();
    const named = error.forFeed('feed:normal:21');
    expect(named.feedKey).toBe('feed:normal:21');
    expect(named.message).toContain('for feed "feed:normal:21"');
    expect(named.forFeed('other')).toBe(named);
  });
});
