import { describe, expect, it } from 'vitest';
import { Activity, Love } from '@sf/activity';
import { createTableCql, indexTableName, timelineIndexTableSpec } from './cql.js';
import { idRange } from './query.js';
import { TimelineIndexer } from './timeline-index.js';
import type { TableHandle } from './context.js';
import type { CassandraSession } from './session.js';
import type { TableLayout } from './schema.js';

const table: TableHandle = {
  name: 'pins_idx',
  qualified: 'ks.pins_idx',
  cql: '"ks"."pins_idx"',
  layout: async () => ({ cql: '"ks"."pins_idx"' }) as TableLayout,
};
// The statement builders and pair logic never touch the session.
const session = {} as CassandraSession;

describe('index tables', () => {
  it('names the index table after the timeline table, hashing names that would pass 48 characters', () => {
    expect(indexTableName('pins')).toBe('pins_idx');
    const a = indexTableName(`${'a'.repeat(40)}_one_x`);
    const b = indexTableName(`${'a'.repeat(40)}_two_x`);
    expect(a).toHaveLength(48);
    expect(a).toMatch(/^a{35}_idx_[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(indexTableName('x'.repeat(44))).toBe(`${'x'.repeat(44)}_idx`);
  });

  it('creates the table with the timeline partition key and newest-first ids per value', () => {
    expect(createTableCql('ks', timelineIndexTableSpec('pins_idx'))).toBe(
      'CREATE TABLE IF NOT EXISTS "ks"."pins_idx" (feed_id ascii, dimension ascii, value text, activity_id varint, PRIMARY KEY (feed_id, dimension, value, activity_id)) WITH CLUSTERING ORDER BY (dimension ASC, value ASC, activity_id DESC)',
    );
  });

  it('gives an activity one row per declared dimension it has a value in', () => {
    const indexer = new TimelineIndexer({ verb: true, field: 'board' }, table, session);
    const activity = (extraContext: Record<string, unknown>) =>
      new Activity({ actor: 1, verb: Love, object: 2, time: 0, extraContext });
    expect(indexer.dimensions).toEqual(['verb', 'field:board']);
    expect(indexer.pairsOf(activity({ board: 12 }))).toEqual([
      { dimension: 'verb', value: String(Love.id) },
      { dimension: 'field:board', value: '12' },
    ]);
    expect(indexer.pairsOf(activity({ board: 1.5 }))).toEqual([
      { dimension: 'verb', value: String(Love.id) },
    ]);
    const fieldOnly = new TimelineIndexer({ verb: false, field: 'board' }, table, session);
    expect(fieldOnly.pairsOf(activity({}))).toEqual([]);
    expect(() => fieldOnly.dimensionOf('verb')).toThrow(/does not index "verb"/);
  });

  it('pages an index partition with the id bounds folded into one per side', async () => {
    const indexer = new TimelineIndexer({ verb: true, field: null }, table, session);
    const statements = await indexer.ready();
    expect(indexer.pageCql(statements, idRange({ lt: '9', gte: '3' }), 'desc')).toEqual({
      cql: 'SELECT activity_id FROM "ks"."pins_idx" WHERE feed_id = ? AND dimension = ? AND value = ? AND activity_id >= ? AND activity_id < ? ORDER BY activity_id DESC LIMIT ?',
      params: ['3', '9'],
    });
    expect(indexer.pageCql(statements, idRange({ lte: '9' }), 'asc')).toEqual({
      cql: 'SELECT activity_id FROM "ks"."pins_idx" WHERE feed_id = ? AND dimension = ? AND value = ? AND activity_id <= ? ORDER BY activity_id ASC LIMIT ?',
      params: ['9'],
    });
    expect(indexer.pageCql(statements, idRange({}), 'desc').params).toEqual([]);
  });
});
