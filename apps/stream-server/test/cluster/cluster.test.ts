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
      // The restarted node must agree on the schema with the others: one that came back without
      // the tables created just before its stop rejects the next schema change and fails the next
      // suite's DDL (scripts/cassandra/README.md, "Not crash-safe by default").
      const client = server.cassandra!.client;
      let agreed = false;
      for (let i = 0; i < 60 && !agreed; i++) {
        // What the driver's schema agreement check reads: the coordinator's version and its peers'.
        const local = await client.execute('SELECT schema_version FROM system.local');
        const peers = await client.execute('SELECT schema_version FROM system.peers');
        const versions = [...local.rows, ...peers.rows].map((row) => String(row.schema_version));
        agreed =
          versions.length === inject('clusterContactPoints').length && new Set(versions).size === 1;
        if (!agreed) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(agreed, 'the three nodes agree on the schema after node 3 restarted').toBe(true);
      // And wait until nodes 1 and 2 delivered their hints to node 3: a DROP KEYSPACE (this run's,
      // at the end) applied on node 3 while hinted writes to the same tables arrive was seen to
      // fail there midway ("Unknown CF" in Cassandra 5.0.8's commit log flush), leaving node 3 with
      // half the keyspace and in schema disagreement. Each node lists its undelivered hint files
      // in the virtual table system_views.pending_hints (node 3, whose pool the driver may not
      // have reopened yet, holds none for itself).
      let pending = Infinity;
      for (let i = 0; i < 120 && pending > 0; i++) {
        pending = 0;
        for (const host of client.hosts.values()) {
          if (host.address.startsWith('127.0.0.3:')) continue;
          const rows = await client.execute('SELECT files FROM system_views.pending_hints', [], {
            host,
          });
          pending += rows.rows.reduce((sum, row) => sum + Number(row.files ?? 0), 0);
        }
        if (pending > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(pending, 'hints still waiting for node 3 after 2 minutes').toBe(0);
      // After the restart (hints replay to node 3), QUORUM reads still give the same feeds.
      for (const user of [5, 6]) {
        const items = (await c.readFeed('timeline', user)).items;
        expect(ids(items)).toEqual([during.id]);
        expect(items[0]).toMatchObject({ extraContext: { board: 'still-down' } });
      }
    },
  );
});
