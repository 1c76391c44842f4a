import pg from 'pg';
import { PostgresConfigurationError, toStorageError } from './errors.js';
import { applyMigrations, checkSchemaName, type AppliedMigration } from './schema.js';

export interface MigrateOptions {
  /** A connection string (`postgres://user@host:5432/db`). */
  connectionString: string;
  /** The schema to migrate (default `sf`). */
  schema?: string | undefined;
}

/**
 * Applies the migrations a schema lacks, on one connection opened for the purpose (what
 * `sf-postgres-migrate` runs). Returns what it applied.
 */
export async function migrate(options: MigrateOptions): Promise<AppliedMigration[]> {
  if (typeof options?.connectionString !== 'string' || options.connectionString === '') {
    throw new PostgresConfigurationError('migrate needs a connectionString', {
      path: 'migrate.connectionString',
      value: options?.connectionString,
    });
  }
  const schema = checkSchemaName(options.schema ?? 'sf', 'migrate.schema');
  const client = new pg.Client({ connectionString: options.connectionString });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw toStorageError(error, { operation: 'migrate.connect' });
  }
  try {
    return await applyMigrations(client, schema);
  } finally {
    await client.end().catch(() => undefined);
  }
}
