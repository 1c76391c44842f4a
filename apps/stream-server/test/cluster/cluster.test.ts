import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamClient } from '../../src/client.js';
import { WRITE_KEY } from '../../src/test-config.js';
import { cassandraContents } from '../integration/cassandra.js';
import { startServer } from '../integration/helpers.js';
import type { RunningServer, Target } from '../integration/helpers.js';

/**
 * The server's feeds on three Cassandra nodes (127.0.0.1-3:9242, replication factor 3, QUORUM),
 * its items and follows on Redis: publish with fanout, update, remove, and reads and writes while
 * one node is stopped (two of three copies answer a quorum).
 */

const exec = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/cassandra.sh', import.meta.url));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const T0 = Date.UTC(2024, 4, 1, 12);
const ids = (items: ReadonlyArray<{ id: string }>) => items.map((item) => item.id);

const target: Target = {
  name: 'cassandra cluster',
  storage: (keyPrefix) => ({
    type: 'cassandra',
    contactPoints: inject('clusterContactPoints'),
    localDataCenter: inject('clusterLocalDc'),
    keyspace: inject('clusterKeyspace'),
    replication: { class: 'SimpleStrategy', replication_factor: 3 },
    consistency: 'QUORUM',
    keyPrefix,
    redis: { url: redisUrl },
  }),
  connect: () => new Redis(redisUrl),
};

describe('the stream server on a 3-node Cassandra cluster (RF 3, QUORUM)', () => {
  let server: RunningServer;
  let c: StreamClient;

  beforeAll(async () => {
    server = await startServer(target);
    c = new StreamClient({ baseUrl: server.baseUrl, apiKey: WRITE_KEY });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function update(userId: number, id: string, extraContext: Record<string, unknown>) {
    const response = await fetch(`${server.baseUrl}/users/${userId}/activities/${id}`, {
      method: 'PUT',
      headers: { 'x-api-key': WRITE_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ extraContext }),
    });
    expect(response.status).toBe(200);
  }

  it('reports Cassandra, and keeps three copies of every feed row (replication of the keyspace)', async () => {
    expect(await c.health()).toMatchObject({ status: 'ok', storage: 'cassandra' });
    await c.follow(2, 1);
    await c.addToFeed('timeline', 2, { actor: 9, verb: 'pin', object: 1, time: T0 });
    const keyspace = inject('clusterKeyspace');
    const replication = await server.cassandra!.client.execute(
      'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?',
      [keyspace],
    );
    expect(replication.rows[0]?.replication).toMatchObject({
      class: 'org.apache.cassandra.locator.SimpleStrategy',
      replication_factor: '3',
    });
  });

  it('publishes with fanout, updates in place and removes, read back at QUORUM', async () => {
    await c.follow(3, 1);
    const a = await c.publish(1, {
      verb: 'pin',
      object: 10,
      time: T0 + 1000,
      extraContext: { board: 'cats', likes: 1 },
    });
    const b = await c.publish(1, { verb: 'love', object: 11, time: T0 + 2000 });
    for (const user of [2, 3])
      expect(ids((await c.readFeed('timeline', user)).items)).toEqual(
        user === 2 ? [b.id, a.id, expect.any(String)] : [b.id, a.id],
      );
    expect((await c.readFeed('aggregated', 3)).items).toHaveLength(2);
    expect((await c.countFeed('timeline', 3, 'board')).counts).toEqual({ cats: 1 });

    // Every feed on Cassandra holds copies of the activity: the update rewrites each of them.
    await update(1, a.id, { board: 'dogs', likes: 7 });
    for (const user of [2, 3]) {
      const item = (await c.readFeed('timeline', user)).items.find((i) => i.id === a.id);
      expect(item).toMatchObject({ id: a.id, extraContext: { board: 'dogs', likes: 7 } });
    }
    expect((await c.readFeed('user', 1)).items.find((i) => i.id === a.id)).toMatchObject({
      extraContext: { board: 'dogs', likes: 7 },
    });

    await c.unpublish(1, b.id);
    expect(ids((await c.readFeed('timeline', 3)).items)).toEqual([a.id]);
    expect(ids((await c.readFeed('user', 1)).items)).toEqual([a.id]);
    expect(await c.removeFromFeed('timeline', 3, a.id)).toEqual({ removed: 1 });
    expect((await c.readFeed('timeline', 3)).items).toEqual([]);
    // The other follower still has it.
    expect(ids((await c.readFeed('timeline', 2)).items)).toContain(a.id);

    // Rows of this server only, under its key prefix.
    const rows = Object.values(await cassandraContents(server.cassandra!, server.prefix)).flat();
    expect(rows.some((row) => row.includes(`"${server.prefix}acme:feeds:feed:2"`))).toBe(true);
  });

  it.runIf(inject('clusterOwnedByScript'))(
    'reads, publishes and fans out while node 3 is stopped, then sees the same after it restarts',
    async () => {
      await c.follow(5, 4);
      await c.follow(6, 4);
      const before = await c.publish(4, { verb: 'pin', object: 40, time: T0 + 3000 });
      let during: { id: string } | undefined;
      await exec('bash', [script, 'cluster', 'stop-node', '3'], { timeout: 180_000 });
      try {
        // Two copies of three answer QUORUM: reads, the fanout, an update and a removal go on.
        expect(ids((await c.readFeed('timeline', 5)).items)).toEqual([before.id]);
        during = await c.publish(4, {
          verb: 'pin',
          object: 41,
          time: T0 + 4000,
          extraContext: { board: 'down' },
        });
        for (const user of [5, 6])
          expect(ids((await c.readFeed('timeline', user)).items)).toEqual([during.id, before.id]);
        await update(4, during.id, { board: 'still-down' });
        expect((await c.readFeed('timeline', 6)).items[0]).toMatchObject({
          extraContext: { board: 'still-down' },
        });
        await c.unpublish(4, before.id);
        expect(ids((await c.readFeed('timeline', 6)).items)).toEqual([during.id]);
        expect(await c.health()).toMatchObject({ status: 'ok' });
      } finally {
        await exec('bash', [script, 'cluster', 'start-node', '3'], { timeout: 300_000 });
      }
      // After the restart (hints replay to node 3), QUORUM reads still give the same feeds.
      for (const user of [5, 6]) {
        const items = (await c.readFeed('timeline', user)).items;
        expect(ids(items)).toEqual([during.id]);
        expect(items[0]).toMatchObject({ extraContext: { board: 'still-down' } });
      }
    },
  );
});
