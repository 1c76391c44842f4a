export { CassandraStorage, cassandraCapabilities, cassandraStorage } from './cassandra-storage.js';
export type { CassandraStorageOptions } from './cassandra-storage.js';
export { CassandraTimelineStorage } from './cassandra-timeline-storage.js';
export { CassandraActivityStorage } from './cassandra-activity-storage.js';
export { CassandraActivityClock } from './cassandra-activity-clock.js';
export { CassandraMarkerStorage } from './cassandra-marker-storage.js';
export type { CassandraLockOptions, LockMode } from './lock.js';
export type { ConsistencyLevel } from './session.js';
export type { IdColumnType, Replication, TimelineTableKind } from './cql.js';
export type { ExtraContextEncoding } from './codec.js';
export {
  CassandraConfigurationError,
  CassandraLockError,
  CassandraQueryError,
  CassandraSchemaError,
  CassandraSerializationError,
  CassandraTimeoutError,
  CassandraUnavailableError,
} from './errors.js';
export type { CassandraOperationContext } from './errors.js';
