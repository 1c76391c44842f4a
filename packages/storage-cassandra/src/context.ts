import type { Activity } from '@sf/activity';
import type { Serializer } from '@sf/serializers';
import type { ActivityCodec } from './codec.js';
import type { FeedLocks } from './lock.js';
import type { TableLayout } from './schema.js';
import type { CassandraSession, Semaphore } from './session.js';

/** What every storage of one backend shares. */
export interface StorageContext {
  session: CassandraSession;
  /** Prepended to every feed, marker and lock key (isolates tenants or test runs on shared tables). */
  keyPrefix: string;
  /** Feeds written at once by the batch interface (`addToMany`, `removeIdsFromMany`), all calls together. */
  writes: Semaphore;
  /** Consistency of the reads and writes inside `modify` and marker updates. */
  modifyConsistency: number;
  locks: FeedLocks;
  activityCodec: ActivityCodec;
  /** The backend format's activity serializer (activities inside aggregated rows). */
  activitySerializer: Serializer<Activity>;
}

/** A table that is checked (or created) on first use. */
export interface TableHandle {
  /** Unqualified table name. */
  readonly name: string;
  /** `keyspace.table` (for messages). */
  readonly qualified: string;
  /** `"keyspace"."table"` (for CQL). */
  readonly cql: string;
  layout(): Promise<TableLayout>;
}
