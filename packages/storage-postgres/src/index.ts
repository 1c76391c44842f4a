export { PostgresStorage, postgresCapabilities, postgresStorage } from './postgres-storage.js';
export type { PostgresStorageOptions } from './postgres-storage.js';
export { PostgresFlatTimelineStorage } from './timeline-flat.js';
export { PostgresAggregatedTimelineStorage } from './timeline-aggregated.js';
export { PostgresActivityStorage } from './activity-storage.js';
export { PostgresActivityClock } from './activity-clock.js';
export { PostgresMarkerStorage } from './marker-storage.js';
export type { CorruptRowPolicy, ModifyMode } from './context.js';
export { checkSchemaName, migrations, SCHEMA_VERSION } from './schema.js';
export type { AppliedMigration, Migration } from './schema.js';
export { migrate } from './migrate.js';
export { runLockedDdl } from './ddl.js';
export type { LockedDdlOptions } from './ddl.js';
export type { MigrateOptions } from './migrate.js';
export {
  PostgresConfigurationError,
  PostgresConflictError,
  PostgresCorruptRowError,
  PostgresLockError,
  PostgresPoolExhaustedError,
  PostgresQueryError,
  PostgresSchemaError,
  PostgresTimeoutError,
  PostgresUnavailableError,
} from './errors.js';
export type { PostgresOperationContext } from './errors.js';
