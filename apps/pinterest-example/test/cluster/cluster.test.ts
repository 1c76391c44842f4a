import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CassandraStorage } from '@sf/storage-cassandra';
import { configFromEnv } from '../../src/config.js';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { USER_COOKIE } from '../../src/server.js';
import { startCassandraApp } from '../cassandra-app.js';
import type { CassandraApp } from '../cassandra-app.js';

/**
 * Cassandra mode on three nodes (127.0.0.1-3:9242), set up from the environment as an operator
 * would (SF_CASSANDRA_REPLICATION=3, SF_CASSANDRA_CONSISTENCY=QUORUM): the home, grouped and user
 * feeds in a keyspace of this run with three copies, the records, notifications and BullMQ on
 * Redis, the fanout done by a worker. Seed, follow, pin, and the pin on the follower's home.
 */

const form = { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:80' };

describe('Cassandra mode on a 3-node cluster (replication factor 3, QUORUM)', () => {
  const run = `${process.pid}_${Date.now().toString(36)}`;
  let runtime: Runtime;
  let app: FastifyInstance;
  let started: CassandraApp | undefined;
  let feeds: CassandraStorage;

  beforeAll(async () => {
    const config = configFromEnv({
      SF_STORAGE: 'cassandra',
      REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      SF_KEY_PREFIX: `pinterest-cluster-${run}:`,
      SF_QUEUE_PREFIX: `pinterest-cluster-bull-${run}`,
      CASSANDRA_CONTACT_POINTS: inject('clusterContactPoints').join(','),
      CASSANDRA_LOCAL_DC: process.env.CASSANDRA_LOCAL_DC || 'datacenter1',
      SF_CASSANDRA_KEYSPACE: `pinterest_cluster_${run}`,
      SF_CASSANDRA_REPLICATION: '3',
      SF_CASSANDRA_CONSISTENCY: 'QUORUM',
    });
    runtime = await createRuntime(config);
    feeds = runtime.feeds.normal.storage as unknown as CassandraStorage;
    started = await startCassandraApp(runtime, {
      users: 8,
      pins: 24,
      seed: 3,
      cookieSecret: 'cassandra cluster test secret',
    });
    app = started.app;
  });

  afterAll(async () => {
    if (started) await started.close();
    else await runtime?.close();
  });

  async function actAs(userId: number): Promise<Record<string, string>> {
    const response = await app.inject({
      method: 'POST',
      url: '/switch',
      headers: form,
      payload: `userId=${userId}`,
    });
    const cookie = response.cookies.find((c) => c.name === USER_COOKIE)!;
    return { [USER_COOKIE]: cookie.value };
  }

  /** Polls a page until `check` holds (the fanout jobs run in the worker). */
  async function until(
    url: string,
    cookies: Record<string, string>,
    check: (body: string) => boolean,
    what: string,
  ): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const page = await app.inject({ method: 'GET', url, cookies });
      expect(page.statusCode, url).toBe(200);
      if (check(page.body)) return;
      if (Date.now() > deadline) throw new Error(`${what} on ${url} not within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('keeps the feeds in a keyspace of three copies, read and written at QUORUM', async () => {
    expect(feeds.name).toBe('cassandra');
    expect(feeds.consistency).toBe('QUORUM');
    const keyspace = await feeds.client.execute(
      'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
      [feeds.keyspace],
    );
    expect(keyspace.rows[0]?.replication).toMatchObject({ replication_factor: '3' });
    const peers = await feeds.client.execute('SELECT peer FROM system.peers');
    expect(peers.rows).toHaveLength(2);
    const home = await app.inject({ method: 'GET', url: '/', cookies: await actAs(1) });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('consistency QUORUM');
  });

  it('seeded feeds, then follow, pin, rename, and delete through the worker', async () => {
    const [reader, author] = [await actAs(3), await actAs(4)];
    for (const url of ['/', '/grouped', '/notifications', '/people', '/u/4', '/more/home']) {
      const page = await app.inject({ method: 'GET', url, cookies: reader });
      expect(page.statusCode, url).toBe(200);
    }
    await app.inject({ method: 'POST', url: '/u/4/unfollow', cookies: reader, headers: form });
    const follow = await app.inject({
      method: 'POST',
      url: '/u/4/follow',
      cookies: reader,
      headers: form,
    });
    expect(follow.statusCode).toBe(303);
    const board = (await runtime.store.listBoards(4))[0]!;
    const created = await app.inject({
      method: 'POST',
      url: '/pins',
      cookies: author,
      headers: form,
      payload: `title=Three+copies&boardId=${board.id}`,
    });
    expect(created.statusCode).toBe(303);
    const pinId = Number(created.headers.location!.split('/').pop());
    const image = `/img/pins/${pinId}.svg`;
    await until('/', reader, (body) => body.includes(image), 'the pin');
    await until('/grouped', reader, (body) => body.includes(image), 'the pin');
    expect(
      (await runtime.feeds.normal.for(3).get({ limit: 50 })).some(
        (activity) => activity.objectId === pinId,
      ),
    ).toBe(true);

    const renamed = await app.inject({
      method: 'POST',
      url: `/pins/${pinId}/title`,
      cookies: author,
      headers: form,
      payload: 'title=Still+three+copies',
    });
    expect(renamed.statusCode).toBe(303);
    await until('/', reader, (body) => body.includes('Still three copies'), 'the new title');

    const deleted = await app.inject({
      method: 'POST',
      url: `/pins/${pinId}/delete`,
      cookies: author,
      headers: form,
    });
    expect(deleted.statusCode).toBe(303);
    await until('/', reader, (body) => !body.includes(image), 'the removal');
    expect(
      (await runtime.feeds.normal.for(3).get({ limit: 50 })).some(
        (activity) => activity.objectId === pinId,
      ),
    ).toBe(false);
  });
});
