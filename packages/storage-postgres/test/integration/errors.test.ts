import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { StorageError, StorageUnavailableError } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import { StorageLockError } from '@sf/feeds/backend';
import { makeActivities } from '@sf/feeds/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PostgresConflictError,
  PostgresLockError,
  PostgresPoolExhaustedError,
  PostgresTimeoutError,
  PostgresUnavailableError,
  postgresStorage,
} from '../../src/index.js';
import { createPool, dropStorage, postgresUrl, testStorage } from './helpers.js';

const pool = createPool();
afterAll(async () => {
  await pool.end();
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('typed errors', () => {
  it('connection refused: PostgresUnavailableError (a StorageUnavailableError), on every call', async () => {
    const port = await closedPort();
    const storage = postgresStorage({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      schema: 'sf_unreachable',
    });
    try {
      const feed = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
      const error = await feed
        .for(1)
        .get()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PostgresUnavailableError);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as PostgresUnavailableError).code).toBe('SF_STORAGE_UNAVAILABLE');
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      await expect(feed.for(1).count()).rejects.toBeInstanceOf(PostgresUnavailableError);
      await expect(storage.sync()).rejects.toBeInstanceOf(PostgresUnavailableError);
      await expect(storage.markerStorage({ name: 'n' }).subscribe(() => {})).rejects.toBeInstanceOf(
        PostgresUnavailableError,
      );
    } finally {
      await storage.close();
    }
  });

  it('server gone mid-write: PostgresUnavailableError, nothing half-written, the pool recovers', async () => {
    const storage = await testStorage(pool);
    try {
      const definition = AggregatedFeed.define({
        name: 'aggregated',
        keyFormat: 'feed:aggregated:{userId}',
        storage,
      });
      const items = definition.aggregator.aggregate(makeActivities(1));
      const other = createPool({ max: 1 });
      const error = await definition.timeline
        .modify('feed:aggregated:1', {}, async (read) => {
          await read({ offset: 0, limit: 1 });
          // the session of this transaction dies (as when the server restarts)
          const [{ pid }] = (
            await storage.pool.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE 'SELECT id::text AS id, value FROM "${storage.schema}"%'`,
            )
          ).rows as [{ pid: number }];
          await other.query('SELECT pg_terminate_backend($1)', [pid]);
          return { remove: [], add: items };
        })
        .catch((caught: unknown) => caught);
      await other.end();
      expect(error).toBeInstanceOf(PostgresUnavailableError);
      expect((error as PostgresUnavailableError).key).toBe('feed:aggregated:1');
      expect(await definition.timeline.count('feed:aggregated:1')).toBe(0);
    } finally {
      await dropStorage(storage);
    }
  });

  it('pool exhausted: PostgresPoolExhaustedError when no client frees up in time', async () => {
    const small = new pg.Pool({
      connectionString: postgresUrl(),
      max: 1,
      connectionTimeoutMillis: 200,
    });
    const storage = await testStorage(small);
    const held = await small.connect();
    try {
      const feed = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
      const error = await feed
        .for(1)
        .count()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PostgresPoolExhaustedError);
      expect((error as PostgresPoolExhaustedError).code).toBe('SF_POSTGRES_POOL_EXHAUSTED');
      expect((error as PostgresPoolExhaustedError).operation).toBe('timeline.count');
      held.release();
      expect(await feed.for(1).count()).toBe(0);
    } finally {
      await dropStorage(storage);
      await small.end();
    }
  });

  it('statement timeout: PostgresTimeoutError when a statement outlives statement_timeout', async () => {
    const slow = new pg.Pool({
      connectionString: postgresUrl(),
      max: 2,
      options: '-c statement_timeout=300',
    });
    const storage = await testStorage(slow);
    const blocker = await pool.connect();
    try {
      const definition = NotificationFeed.define({
        name: 'notification',
        keyFormat: 'notification_feed:{userId}',
        storage,
      });
      await definition.markers.update('notification_feed:1', { add: { unseen: ['1'] } }, 10);
      // another session holds the markers row: the update waits on it past statement_timeout
      await blocker.query('BEGIN');
      await blocker.query(`SELECT * FROM "${storage.schema}".markers FOR UPDATE`);
      const error = await definition.markers
        .update('notification_feed:1', { add: { unseen: ['2'] } }, 10)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PostgresTimeoutError);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as PostgresTimeoutError).key).toBe('notification_feed:1');
      await blocker.query('ROLLBACK');
      expect(await definition.markers.counts('notification_feed:1')).toEqual({
        unseen: 1,
        unread: 0,
      });
    } finally {
      blocker.release();
      await dropStorage(storage);
      await slow.end();
    }
  });

  it("lock timeout: PostgresLockError (a StorageLockError) when a feed's lock stays taken", async () => {
    const storage = await testStorage(pool, { lockTimeout: 200 });
    const holder = await pool.connect();
    try {
      const definition = AggregatedFeed.define({
        name: 'aggregated',
        keyFormat: 'feed:aggregated:{userId}',
        storage,
      });
      const [activity] = makeActivities(1);
      await definition.insertActivity(activity!);
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `${storage.schema}:timeline:feed:aggregated:1`,
      ]);
      const error = await definition
        .for(1)
        .add(activity!)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PostgresLockError);
      expect(error).toBeInstanceOf(StorageLockError);
      expect((error as PostgresLockError).key).toBe('feed:aggregated:1');
      await holder.query('ROLLBACK');
      expect(await definition.for(1).add(activity!)).toHaveLength(1);
    } finally {
      holder.release();
      await dropStorage(storage);
    }
  });

  it('serialization failure after retries: PostgresConflictError; one retry more succeeds', async () => {
    const schemaOwner = await testStorage(pool);
    const backend = (attempts: number) =>
      postgresStorage({ pool, schema: schemaOwner.schema, modifyMode: 'serializable', attempts });
    const timeline = (storage: ReturnType<typeof backend>) =>
      AggregatedFeed.define({ name: 'aggregated', keyFormat: 'feed:aggregated:{userId}', storage })
        .timeline;
    try {
      for (const attempts of [1, 2]) {
        const key = `feed:aggregated:${attempts}`;
        const [a, b] = [timeline(backend(attempts)), timeline(backend(1))];
        const definition = AggregatedFeed.define({
          name: 'aggregated',
          keyFormat: 'feed:aggregated:{userId}',
          storage: schemaOwner,
        });
        const items = definition.aggregator.aggregate(
          makeActivities(2, (i) => ({ offset: i * 86_400_000 })),
        );
        let calls = 0;
        let release!: () => void;
        let aRead!: () => void;
        const bDone = new Promise<void>((resolve) => (release = resolve));
        const aHasRead = new Promise<void>((resolve) => (aRead = resolve));
        // a reads, waits until b read and wrote, then writes: a write skew, which SERIALIZABLE refuses
        const first = a.modify(key, {}, async (read) => {
          calls += 1;
          await read({ offset: 0, limit: 10 });
          aRead();
          if (calls === 1) await bDone;
          return { remove: [], add: [items[0]!] };
        });
        await aHasRead;
        await b.modify(key, {}, async (read) => {
          await read({ offset: 0, limit: 10 });
          return { remove: [], add: [items[1]!] };
        });
        release();
        if (attempts === 1) {
          const error = await first.catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(PostgresConflictError);
          expect(error).toBeInstanceOf(StorageLockError);
          expect((error as PostgresConflictError).attempts).toBe(1);
          expect((error as PostgresConflictError).key).toBe(key);
          expect(await a.count(key)).toBe(1);
        } else {
          await first;
          expect(calls).toBe(2);
          expect(await a.count(key)).toBe(2);
        }
      }
    } finally {
      await dropStorage(schemaOwner);
    }
  });
});
