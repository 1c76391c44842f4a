import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  PostgresConflictError,
  PostgresPoolExhaustedError,
  PostgresQueryError,
  PostgresUnavailableError,
} from './errors.js';
import { PostgresRunner, prepared } from './runner.js';

/** A pool whose query answers from a script of results and errors. */
function scriptedPool(script: Array<Error | object[]>, state = { idleCount: 1, totalCount: 1 }) {
  const calls: string[] = [];
  const names: Array<string | undefined> = [];
  const pool = {
    options: { max: 1 },
    ...state,
    query: async (config: pg.QueryConfig) => {
      calls.push(config.text);
      names.push(config.name);
      const next = script.shift();
      if (next instanceof Error) throw next;
      return { rows: next ?? [] };
    },
  } as unknown as pg.Pool;
  return { pool, calls, names };
}

const sqlError = (code: string, message = `error ${code}`) =>
  Object.assign(new Error(message), { code });

describe('PostgresRunner.query', () => {
  it('sends a statement again after a deadlock or serialization failure', async () => {
    const { pool, calls } = scriptedPool([sqlError('40P01'), sqlError('40001'), [{ n: 1 }]]);
    const runner = new PostgresRunner(pool, 3);
    expect(await runner.query({ operation: 'timeline.addToMany' }, 'INSERT 1')).toEqual([{ n: 1 }]);
    expect(calls).toEqual(['INSERT 1', 'INSERT 1', 'INSERT 1']);
  });

  it('sends a prepared statement by a name derived from its text', async () => {
    const { pool, calls, names } = scriptedPool([[], [], []]);
    const runner = new PostgresRunner(pool, 1);
    await runner.query({ operation: 'timeline.add' }, prepared('SELECT 1'));
    await runner.query({ operation: 'timeline.add' }, prepared('SELECT 2'));
    await runner.query({ operation: 'timeline.add' }, 'SELECT 1');
    expect(calls).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 1']);
    expect(names[0]).toMatch(/^sf_[0-9a-f]{24}$/);
    expect(names[1]).not.toBe(names[0]);
    expect(names[2]).toBeUndefined();
  });

  it('gives up after its attempts with PostgresConflictError', async () => {
    const { pool, calls } = scriptedPool([sqlError('40P01'), sqlError('40P01')]);
    const runner = new PostgresRunner(pool, 2);
    const error = await runner
      .query({ operation: 'timeline.add', key: 'feed:1' }, 'INSERT 1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostgresConflictError);
    expect(error).toMatchObject({ key: 'feed:1', attempts: 2, code: 'SF_POSTGRES_CONFLICT' });
    expect(calls).toHaveLength(2);
  });

  it('maps other failures once, without retrying', async () => {
    const { pool, calls } = scriptedPool([sqlError('23505', 'duplicate key')]);
    const error = await new PostgresRunner(pool, 5)
      .query({ operation: 'x' }, 'INSERT 1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostgresQueryError);
    expect(error).toMatchObject({ sqlState: '23505' });
    expect(calls).toHaveLength(1);
  });

  it('tells a pool wait timeout (pool full) from a connection timeout (pool not full)', async () => {
    const timeout = () => new Error('timeout exceeded when trying to connect');
    const full = scriptedPool([timeout()], { idleCount: 0, totalCount: 1 });
    await expect(
      new PostgresRunner(full.pool, 1).query({ operation: 'x' }, 'SELECT 1'),
    ).rejects.toBeInstanceOf(PostgresPoolExhaustedError);
    const notFull = scriptedPool([timeout()], { idleCount: 0, totalCount: 0 });
    await expect(
      new PostgresRunner(notFull.pool, 1).query({ operation: 'x' }, 'SELECT 1'),
    ).rejects.toBeInstanceOf(PostgresUnavailableError);
  });
});
