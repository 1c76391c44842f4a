import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@sf/activity';
import {
  PostgresConfigurationError,
  checkSchemaName,
  postgresCapabilities,
  postgresStorage,
} from './index.js';

// No server needed: a pool connects lazily, and these fail or succeed before any query.
const pool = () => new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });

describe('postgresStorage options', () => {
  it('needs exactly one of pool and connectionString', () => {
    expect(() => postgresStorage({})).toThrow(PostgresConfigurationError);
    expect(() =>
      postgresStorage({ pool: pool(), connectionString: 'postgres://x@127.0.0.1/x' }),
    ).toThrow(/exactly one of pool/);
  });

  it('refuses a schema name that is not a plain lowercase identifier, with its path', () => {
    for (const schema of ['', 'Sf', '1sf', 'sf-x', 'sf"; drop', 'a'.repeat(64)]) {
      const error = (() => {
        try {
          postgresStorage({ pool: pool(), schema });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(PostgresConfigurationError);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as PostgresConfigurationError).path).toBe('postgresStorage.schema');
      expect((error as PostgresConfigurationError).code).toBe('SF_POSTGRES_CONFIGURATION');
    }
    expect(checkSchemaName('sf_feeds_2')).toBe('sf_feeds_2');
  });

  it('checks modifyMode, corruptRows, lockTimeout, attempts and countsChannel', () => {
    expect(() => postgresStorage({ pool: pool(), modifyMode: 'x' as 'lock' })).toThrow(
      /modifyMode/,
    );
    expect(() => postgresStorage({ pool: pool(), corruptRows: 'x' as 'skip' })).toThrow(
      /corruptRows/,
    );
    expect(() => postgresStorage({ pool: pool(), lockTimeout: -1 })).toThrow(/lockTimeout/);
    expect(() => postgresStorage({ pool: pool(), attempts: 0 })).toThrow(/attempts/);
    expect(() => postgresStorage({ pool: pool(), countsChannel: '' })).toThrow(/countsChannel/);
  });

  it('declares its capabilities; countsChannel null publishes nothing', () => {
    expect(postgresStorage({ pool: pool() }).capabilities).toBe(postgresCapabilities);
    expect(postgresCapabilities).toMatchObject({
      storesFullActivities: false,
      notificationEvents: 'cross-process',
      atomicAggregatedWrites: 'cross-process',
      shared: true,
      feedName: null,
    });
    expect(
      postgresStorage({ pool: pool(), countsChannel: null }).capabilities.notificationEvents,
    ).toBe('none');
  });
});
