import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runLockedDdl, type LockedDdlOptions } from './ddl.js';
import { PostgresConfigurationError } from './errors.js';

const pool = {
  connect: () => Promise.reject(new Error('must not connect')),
} as unknown as pg.Pool;

describe('runLockedDdl options', () => {
  it.each([
    [{ pool: undefined }, 'runLockedDdl.pool'],
    [{ lockKey: '' }, 'runLockedDdl.lockKey'],
    [{ lockKey: 7 }, 'runLockedDdl.lockKey'],
    [{ statements: 'CREATE TABLE t (id int)' }, 'runLockedDdl.statements'],
    [{ statements: ['SELECT 1', ' '] }, 'runLockedDdl.statements[1]'],
    [{ operation: 3 }, 'runLockedDdl.operation'],
  ])('refuses %j before connecting, naming %s', async (change, path) => {
    const options = { pool, lockKey: 'k', statements: ['SELECT 1'], ...change };
    const error = await runLockedDdl(options as unknown as LockedDdlOptions).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PostgresConfigurationError);
    expect(error).toMatchObject({ path });
  });
});
