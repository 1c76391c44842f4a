import { describe, expect, it } from 'vitest';
import cassandra from 'cassandra-driver';
import { StorageError, StorageUnavailableError } from '@sf/activity';
import {
  CassandraQueryError,
  CassandraSchemaError,
  CassandraTimeoutError,
  CassandraUnavailableError,
} from './errors.js';
import { forEachLimited } from '@sf/feeds/backend';
import { Semaphore, consistencyOf, toStorageError } from './session.js';

const { errors, types } = cassandra;
const context = { operation: 'timeline.get', table: 'ks.normal', key: 'feed:normal:1' };

describe('driver errors', () => {
  it('maps unreachable clusters and timeouts to typed errors', () => {
    const noHost = toStorageError(
      new errors.NoHostAvailableError({ '127.0.0.1:1': new Error('connect ECONNREFUSED') }),
      context,
    );
    expect(noHost).toBeInstanceOf(CassandraUnavailableError);
    expect(noHost).toBeInstanceOf(StorageUnavailableError);
    expect(noHost.message).toContain('127.0.0.1:1: connect ECONNREFUSED');
    expect(noHost.message).toContain('feed "feed:normal:1"');
    expect(
      toStorageError(new errors.OperationTimedOutError('no answer', '127.0.0.1:9042'), context),
    ).toBeInstanceOf(CassandraTimeoutError);
    const readTimeout = new errors.ResponseError(
      types.responseErrorCodes.readTimeout,
      'Operation timed out',
    );
    expect(toStorageError(readTimeout, context)).toBeInstanceOf(CassandraTimeoutError);
    const unavailable = new errors.ResponseError(
      types.responseErrorCodes.unavailableException,
      'Cannot achieve consistency',
    );
    expect(toStorageError(unavailable, context)).toBeInstanceOf(CassandraUnavailableError);
  });

  it('explains missing tables and wraps other failures', () => {
    const missing = toStorageError(
      new errors.ResponseError(types.responseErrorCodes.invalid, 'table nope does not exist'),
      context,
    );
    expect(missing).toBeInstanceOf(CassandraSchemaError);
    expect(missing.message).toMatch(/syncSchema/);
    const syntax = toStorageError(
      new errors.ResponseError(
        types.responseErrorCodes.syntaxError,
        'line 1:2 no viable alternative',
      ),
      context,
    );
    expect(syntax).toBeInstanceOf(CassandraQueryError);
    expect((syntax as CassandraQueryError).responseCode).toBe(types.responseErrorCodes.syntaxError);
    expect(syntax).toBeInstanceOf(StorageError);
    const own = new CassandraSchemaError('x');
    expect(toStorageError(own, context)).toBe(own);
  });

  it('knows the consistency levels by name', () => {
    expect(consistencyOf('ONE')).toBe(types.consistencies.one);
    expect(consistencyOf('local_quorum' as never)).toBe(types.consistencies.localQuorum);
    expect(consistencyOf(types.consistencies.all)).toBe(types.consistencies.all);
    expect(consistencyOf('MOST' as never)).toBeUndefined();
  });
});

describe('concurrency helpers', () => {
  it('bounds concurrency and runs every item', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachLimited([...Array(20).keys()], 3, async (item) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      done.push(item);
      running--;
    });
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('rejects on the first failure and starts nothing more', async () => {
    const started: number[] = [];
    await expect(
      forEachLimited([1, 2, 3, 4, 5], 1, async (item) => {
        started.push(item);
        if (item === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });

  it('bounds the tasks of every caller together', async () => {
    const semaphore = new Semaphore(4);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running--;
    };
    await Promise.all(
      [0, 1, 2].map(() => forEachLimited([...Array(10).keys()], 4, () => semaphore.run(task))),
    );
    expect(peak).toBe(4);
    await expect(semaphore.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await semaphore.run(async () => 7)).toBe(7); // a failed task frees its slot
  });
});
