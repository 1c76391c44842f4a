import { describe, expect, it } from 'vitest';
import {
  activityTableSpec,
  addColumnCql,
  aggregatedTableSpec,
  column,
  createKeyspaceCql,
  createTableCql,
  cqlTable,
  flatTableSpec,
  lockTableSpec,
  markerTableSpec,
  tableIdentifier,
} from './cql.js';
import { CassandraConfigurationError } from './errors.js';

describe('CQL building', () => {
  it('creates Stream Framework-compatible flat timeline tables', () => {
    expect(createTableCql('stream_framework', flatTableSpec('normal', 'int'))).toBe(
      'CREATE TABLE IF NOT EXISTS "stream_framework"."normal" (feed_id ascii, activity_id varint, actor int, verb int, object int, target int, time timestamp, extra_context blob, PRIMARY KEY (feed_id, activity_id)) WITH CLUSTERING ORDER BY (activity_id DESC)',
    );
    expect(createTableCql('ks', flatTableSpec('user', 'bigint'), 'gc_grace_seconds = 3600')).toBe(
      'CREATE TABLE IF NOT EXISTS "ks"."user" (feed_id ascii, activity_id varint, actor bigint, verb int, object bigint, target bigint, time timestamp, extra_context blob, PRIMARY KEY (feed_id, activity_id)) WITH CLUSTERING ORDER BY (activity_id DESC) AND gc_grace_seconds = 3600',
    );
  });

  it('keys aggregated rows by activity id and group, quoting the group keyword', () => {
    expect(createTableCql('ks', aggregatedTableSpec('aggregated'))).toBe(
      'CREATE TABLE IF NOT EXISTS "ks"."aggregated" (feed_id ascii, activity_id varint, "group" ascii, activities blob, created_at timestamp, updated_at timestamp, PRIMARY KEY (feed_id, activity_id, "group")) WITH CLUSTERING ORDER BY (activity_id DESC, "group" DESC)',
    );
  });

  it('creates the activity, marker and lock tables', () => {
    expect(createTableCql('ks', activityTableSpec('sf_activities', 'int'))).toBe(
      'CREATE TABLE IF NOT EXISTS "ks"."sf_activities" (key_prefix ascii, activity_id varint, actor int, verb int, object int, target int, time timestamp, extra_context blob, PRIMARY KEY ((key_prefix, activity_id)))',
    );
    expect(createTableCql('ks', markerTableSpec('sf_markers'))).toBe(
      'CREATE TABLE IF NOT EXISTS "ks"."sf_markers" (feed_id ascii, unseen frozen<list<text>>, unread frozen<list<text>>, version bigint, PRIMARY KEY (feed_id))',
    );
    expect(createTableCql('ks', lockTableSpec('sf_locks'))).toBe(
      'CREATE TABLE IF NOT EXISTS "ks"."sf_locks" (lock_key ascii, owner ascii, PRIMARY KEY (lock_key))',
    );
  });

  it('creates keyspaces with any replication, and adds columns', () => {
    expect(
      createKeyspaceCql('stream_framework', { class: 'SimpleStrategy', replication_factor: 1 }),
    ).toBe(
      `CREATE KEYSPACE IF NOT EXISTS "stream_framework" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    expect(createKeyspaceCql('ks', { class: 'NetworkTopologyStrategy', "dc'1": 3 })).toBe(
      `CREATE KEYSPACE IF NOT EXISTS "ks" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc''1': 3}`,
    );
    expect(addColumnCql('ks', 'normal', { name: 'extra_context', type: 'blob' })).toBe(
      'ALTER TABLE "ks"."normal" ADD extra_context blob',
    );
    expect(addColumnCql('ks', 'agg', { name: 'group', type: 'ascii' })).toBe(
      'ALTER TABLE "ks"."agg" ADD "group" ascii',
    );
  });

  it('validates and lower-cases table names, quotes keywords', () => {
    expect(tableIdentifier('PinFeed', 'table')).toBe('pinfeed');
    expect(cqlTable('ks', 'batch')).toBe('"ks"."batch"');
    expect(column('group')).toBe('"group"');
    expect(column('actor')).toBe('actor');
    for (const bad of ['', '1feed', 'feed-name', 'x'.repeat(49), 'a b', 'a"b']) {
      expect(() => tableIdentifier(bad, 'table')).toThrow(CassandraConfigurationError);
    }
  });
});
