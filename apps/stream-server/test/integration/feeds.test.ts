import { describe, expect, it } from 'vitest';
import { RpcClient, StreamClient, StreamServerError } from '../../src/client.js';
import { OTHER_WRITE_KEY, WRITE_KEY } from '../../src/test-config.js';
import { cachedPostgresTarget, keysOf, serverPerSuite, targets } from './helpers.js';
import { cassandraContents } from './cassandra.js';
import { postgresContents } from './postgres.js';

const T0 = Date.UTC(2024, 4, 1, 12);
const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);

// ...and PostgreSQL with a Redis feed cache of 2 entries per feed (pages past it from PostgreSQL).
for (const target of [...targets(), cachedPostgresTarget()]) {
  describe(`the feed framework over HTTP (${target.name})`, () => {
    const http = serverPerSuite(target);

    it('publishes, fans out, follows, unfollows and unpublishes', async () => {
      await http.client.follow(2, 1);
      await http.client.follow('3', '1');
      const a = await http.client.publish(1, {
        verb: 'pin',
        object: 10,
        time: T0,
        extraContext: { board: 'cats' },
      });
      const b = await http.client.publish(1, { verb: 'pin', object: 11, time: T0 + 1000 });
      expect(
        ids((await http.client.readFeed('timeline', 2)).items as Array<{ id: string }>),
      ).toEqual([b.id, a.id]);
      const aggregated = await http.client.readFeed('aggregated', 3);
      expect(aggregated.items).toHaveLength(1);
      expect(aggregated.items[0]).toMatchObject({ activityCount: 2, verbs: ['pin'] });
      expect(await http.client.followers(1)).toEqual(['2', '3']);

      await http.client.follow(4, 1);
      expect(
        ids(
          (await http.client.readFeed('timeline', 4, { limit: 1 })).items as Array<{ id: string }>,
        ),
      ).toEqual([b.id]);
      expect(
        ids(
          (await http.client.readFeed('timeline', 4, { idLt: b.id })).items as Array<{
            id: string;
          }>,
        ),
      ).toEqual([a.id]);

      await http.client.unpublish(1, a.id);
      expect(
        ids((await http.client.readFeed('timeline', 3)).items as Array<{ id: string }>),
      ).toEqual([b.id]);
      await http.client.unfollow(2, 1);
      expect((await http.client.readFeed('timeline', 2)).items).toEqual([]);
      expect(await http.client.following(2)).toEqual([]);
    });

    it('filters pages by verb and board and counts them (indexes on this storage)', async () => {
      await http.client.follow(22, 21);
      const published: Array<{ id: string; verb: string; board: string }> = [];
      for (let i = 0; i < 9; i++) {
        const verb = i % 3 === 0 ? 'love' : 'pin';
        const board = i % 2 === 0 ? 'cats' : 'dogs';
        const { id } = await http.client.publish(21, {
          verb,
          object: 500 + i,
          time: T0 + i * 1000,
          extraContext: { board },
        });
        published.unshift({ id, verb, board });
      }
      const read = async (page: Record<string, string | number>) =>
        ids((await http.client.readFeed('timeline', 22, page)).items);
      const of = (keep: (a: { verb: string; board: string }) => boolean) =>
        published.filter(keep).map((a) => a.id);
      expect(await read({ verb: 'love' })).toEqual(of((a) => a.verb === 'love'));
      expect(await read({ board: 'dogs', limit: 2, offset: 1 })).toEqual(
        of((a) => a.board === 'dogs').slice(1, 3),
      );
      expect(await read({ verb: 'pin', board: 'cats' })).toEqual(
        of((a) => a.verb === 'pin' && a.board === 'cats'),
      );
      expect((await http.client.countFeed('timeline', 22)).counts).toEqual({ love: 3, pin: 6 });
      expect((await http.client.countFeed('timeline', 22, 'board')).counts).toEqual({
        cats: 5,
        dogs: 4,
      });
      await http.client.unpublish(21, published[0]!.id);
      expect((await http.client.countFeed('timeline', 22, 'board')).counts).toEqual({
        cats: 4,
        dogs: 4,
      });
      await expect(http.client.readFeed('timeline', 22, { verb: 'cuddle' })).rejects.toThrow(
        StreamServerError,
      );
    });

    it('tracks notifications', async () => {
      await http.client.addToFeed('notification', 9, {
        actor: 1,
        verb: 'love',
        object: 5,
        time: T0,
      });
      await http.client.addToFeed('notification', 9, {
        actor: 2,
        verb: 'love',
        object: 5,
        time: T0 + 1000,
      });
      await http.client.addToFeed('notification', 9, {
        actor: 3,
        verb: 'follow',
        object: 9,
        time: T0 + 2000,
      });
      const read = await http.client.readFeed('notification', 9);
      expect(read).toMatchObject({ unseen: 2, unread: 2 });
      expect(read.items.map((item) => ('actorIds' in item ? item.actorIds : []))).toEqual([
        [3],
        [1, 2],
      ]);
      expect(await http.client.markFeed('notification', 9, { ids: [read.items[1]!.id] })).toEqual({
        unseen: 1,
        unread: 2,
      });
      expect(await http.client.markFeed('notification', 9, { read: true })).toEqual({
        unseen: 0,
        unread: 0,
      });
      expect(
        (await http.client.readFeed('notification', 9)).items.every(
          (item) => 'seen' in item && item.seen && item.read,
        ),
      ).toBe(true);
    });

    it('offers the same operations over JSON-RPC', async () => {
      const rpc = new RpcClient({ baseUrl: http.server.baseUrl, apiKey: WRITE_KEY });
      await rpc.call('follow', { userId: 21, targetId: 20 });
      const published = await rpc.call<{ id: string }>('publish', [
        20,
        { verb: 'love', object: 7, time: T0 },
      ]);
      const page = await rpc.call<{ items: Array<{ id: string }> }>('readFeed', {
        feed: 'timeline',
        userId: 21,
      });
      expect(ids(page.items)).toEqual([published.id]);
      await expect(rpc.call('readFeed', { feed: 'timeline', userId: 'a/b' })).rejects.toMatchObject(
        { code: -32602 },
      );
    });

    it("keeps tenants' feeds apart, under their own keys", async () => {
      const other = new StreamClient({ baseUrl: http.server.baseUrl, apiKey: OTHER_WRITE_KEY });
      expect((await other.readFeed('timeline', 3)).items).toEqual([]);
      expect(await other.followers(1)).toEqual([]);
      await expect(other.readFeed('timeline', '../acme')).rejects.toBeInstanceOf(StreamServerError);
      if (http.server.postgres) {
        const { pool, schema } = http.server.postgres;
        const rows = await postgresContents(pool, schema);
        const count = (table: string) => (rows[table] as unknown[] | undefined)?.length ?? 0;
        expect(count(`${schema}_t_acme.timeline_entries`)).toBeGreaterThan(0);
        expect(count(`${schema}_t_acme.activities`)).toBeGreaterThan(0);
        expect(count(`${schema}_t_other.timeline_entries`)).toBe(0);
        expect(count(`${schema}_t_other.activities`)).toBe(0);
        expect(rows[`${schema}.follows`]).toEqual(
          expect.arrayContaining([{ tenant: 'acme', user_id: '3', target_id: '1' }]),
        );
        expect(
          (rows[`${schema}.follows`] as Array<{ tenant: string }>).every(
            (r) => r.tenant === 'acme',
          ),
        ).toBe(true);
      }
      if (http.server.cassandra) {
        const rows = Object.values(
          await cassandraContents(http.server.cassandra, http.server.prefix),
        ).flat();
        expect(rows.some((row) => row.includes(`"${http.server.prefix}acme:feeds:`))).toBe(true);
        expect(rows.filter((row) => row.includes(`"${http.server.prefix}other:`))).toEqual([]);
      }
      if (http.server.redis) {
        const keys = await keysOf(http.server.redis, http.server.prefix);
        expect(keys.length).toBeGreaterThan(0);
        expect(
          keys.every(
            (key) =>
              key.startsWith(`${http.server.prefix}acme:feeds:`) ||
              key.startsWith(`${http.server.prefix}acme:graph:`) ||
              // the feed cache: the other tenant's empty feed read above, cached as complete
              (target.name === 'postgres + redis cache' &&
                key.startsWith(`${http.server.prefix}other:feeds:`) &&
                key.endsWith(':cached')),
          ),
        ).toBe(true);
      }
    });
  });
}
