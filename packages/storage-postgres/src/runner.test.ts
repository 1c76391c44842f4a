import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  PostgresConflictError,
  PostgresPoolExhaustedError,
  PostgresQueryError,
  PostgresUnavailableError,
} from './errors.js';
import { PostgresRunner } from './runner.js';

/** A pool whose query answers from a script of results and errors. */
function scriptedPool(script: Array<Error | object[]>, state = { idleCount: 1, totalCount: 1 }) {
  const calls: string[] = [];
  const pool = {
    options: { max: 1 },
    ...state,
    query: async (text: string) => {
      calls.push(text);
      const next = script.shift();
      if (next instanceof Error) throw next;
      return { rows: next ?? [] };
    },
  } as unknown as pg.Pool;
  return { pool, calls };
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
