import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresContext, decodeRows, type FailedRow } from './context.js';
import { PostgresCorruptRowError } from './errors.js';
import { PostgresRunner } from './runner.js';
import { Tables } from './schema.js';

const loads = (value: string): { n: number } => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`not a number: ${value}`);
  return { n };
};

describe('decodeRows', () => {
  it('decodes rows in order and collects, without throwing, the ones that do not decode', () => {
    const rows = [
      { id: '1', text: '10' },
      { id: '2', text: 'x' },
      { id: '3', text: '30' },
    ];
    const { decoded, failed } = decodeRows(rows, (row) => row.text, loads);
    expect(decoded).toEqual([
      { row: rows[0], value: '10', item: { n: 10 } },
      { row: rows[2], value: '30', item: { n: 30 } },
    ]);
    expect(failed.map(({ id, value }) => ({ id, value }))).toEqual([{ id: '2', value: 'x' }]);
    expect((failed[0] as FailedRow).cause).toBeInstanceOf(Error);
  });
});

describe('PostgresContext.decodeTimeline', () => {
  function contextWith(corruptRows: 'skip' | 'throw') {
    const reported: PostgresCorruptRowError[] = [];
    const context = new PostgresContext({
      runner: new PostgresRunner({} as pg.Pool, 1),
      tables: new Tables('sf'),
      corruptRows,
      onCorruptRow: (error) => reported.push(error),
      modifyMode: 'lock',
      lockTimeout: 0,
    });
    return { context, reported };
  }
  const rows = [
    { id: '1', text: '10' },
    { id: '2', text: 'x' },
  ];
  const decodeFeed = (context: PostgresContext) =>
    context.decodeTimeline(
      '"sf"."timeline_entries"',
      'feed:1',
      { kind: 'flat', format: undefined },
      rows,
      (row) => row.text,
      loads,
    );

  it('returns the decoded rows and reports each corrupt one with its table, feed and id', () => {
    const { context, reported } = contextWith('skip');
    const decoded = decodeFeed(context);
    expect(decoded.map(({ item }) => item)).toEqual([{ n: 10 }]);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ table: 'sf.timeline_entries', key: 'feed:1', id: '2' });
  });

  it('throws PostgresCorruptRowError under corruptRows: throw', () => {
    const { context } = contextWith('throw');
    expect(() => decodeFeed(context)).toThrow(PostgresCorruptRowError);
  });
});
