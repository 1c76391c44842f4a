import { execFileSync } from 'node:child_process';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { USER_COOKIE } from '../../src/server.js';
import { startCassandraApp } from '../cassandra-app.js';
import type { CassandraApp } from '../cassandra-app.js';
import { REPO_DIR } from './browser.js';

/**
 * Cassandra mode: home, grouped and user feeds in Cassandra (a keyspace of this run, dropped at
 * the end), notifications and the domain store in Redis, fanout on BullMQ. The same pages and the
 * same follow → pin → home flow as the other modes. SF_CASSANDRA=0 skips it.
 */

const cassandraPort = Number(process.env.CASSANDRA_PORT || 9042);

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

describe.skipIf(process.env.SF_CASSANDRA === '0')(
  'Cassandra mode (Cassandra feeds, Redis notifications, BullMQ)',
  () => {
    const run = `${process.pid}_${Date.now().toString(36)}`;
    let runtime: Runtime;
    let app: FastifyInstance;
    let started: CassandraApp | undefined;

    beforeAll(async () => {
      if (!process.env.CASSANDRA_CONTACT_POINTS && !(await portOpen(cassandraPort))) {
        throw new Error(
          `no Cassandra answers on 127.0.0.1:${cassandraPort}: start one with scripts/cassandra.sh start (or set SF_CASSANDRA=0 to skip)`,
        );
      }
      let redisUrl = process.env.REDIS_URL;
      if (!redisUrl) {
        execFileSync('bash', [join(REPO_DIR, 'scripts', 'redis-single.sh'), 'ensure'], {
          stdio: 'inherit',
          timeout: 60_000,
        });
        redisUrl = 'redis://127.0.0.1:6379';
      }
      runtime = await createRuntime({
        storage: 'cassandra',
        redisUrl,
        keyPrefix: `pinterest-cass-${run}:`,
        queuePrefix: `pinterest-cass-bull-${run}`,
        cassandra: {
          contactPoints: (process.env.CASSANDRA_CONTACT_POINTS || '127.0.0.1')
            .split(',')
            .map((p) => (p.includes(':') ? p : `${p}:${cassandraPort}`)),
          localDataCenter: process.env.CASSANDRA_LOCAL_DC || 'datacenter1',
          keyspace: `pinterest_test_${run}`,
        },
      });
      started = await startCassandraApp(runtime, {
        users: 10,
        pins: 40,
        seed: 2,
        cookieSecret: 'cassandra test secret',
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
        // Same-origin posts say where they come from (Origin), as browsers do.
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'http://localhost:80',
        },
        payload: `userId=${userId}`,
      });
      const cookie = response.cookies.find((c) => c.name === USER_COOKIE)!;
      return { [USER_COOKIE]: cookie.value };
    }

    it('stores the flat and aggregated feeds in Cassandra and notifications in Redis', () => {
      expect(runtime.feeds.normal.storage.name).toBe('cassandra');
      expect(runtime.feeds.aggregated.storage.name).toBe('cassandra');
      expect(runtime.feeds.user.storage.name).toBe('cassandra');
      expect(runtime.feeds.notification.storage.name).toBe('redis');
    });

    it('renders every page', async () => {
      const cookies = await actAs(1);
      for (const url of [
        '/',
        '/grouped',
        '/notifications',
        '/people',
        '/stats',
        '/u/1',
        '/u/2',
        '/pins/new',
        '/pins/1',
        '/more/home',
        '/more/grouped',
      ]) {
        const response = await app.inject({ method: 'GET', url, cookies });
        expect(response.statusCode, url).toBe(200);
      }
      const home = await app.inject({ method: 'GET', url: '/', cookies });
      expect(home.body).toContain('Cassandra (keyspace pinterest_test_');
    });

    it('follow, pin, and the pin reaches the follower through the BullMQ fanout', async () => {
      const [reader, author] = [await actAs(3), await actAs(4)];
      const form = {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://localhost:80',
      };
      await app.inject({
        method: 'POST',
        url: '/u/4/unfollow',
        cookies: reader,
        headers: form,
        payload: '',
      });
      const follow = await app.inject({
        method: 'POST',
        url: '/u/4/follow',
        cookies: reader,
        headers: form,
        payload: '',
      });
      expect(follow.statusCode).toBe(303);
      const board = (await runtime.store.listBoards(4))[0]!;
      const created = await app.inject({
        method: 'POST',
        url: '/pins',
        cookies: author,
        headers: form,
        payload: `title=Cassandra+harbour&boardId=${board.id}`,
      });
      expect(created.statusCode).toBe(303);
      const pinId = Number(created.headers.location!.split('/').pop());
      // The home and grouped feeds are separate jobs: wait for both.
      const deadline = Date.now() + 30_000;
      for (const url of ['/', '/grouped']) {
        for (;;) {
          const page = await app.inject({ method: 'GET', url, cookies: reader });
          if (page.body.includes(`/img/pins/${pinId}.svg`)) break;
          if (Date.now() > deadline) throw new Error(`the pin did not reach ${url} in 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      // The board filter of the home page (Cassandra declares no indexes: the feed is scanned).
      const onBoard = await app.inject({
        method: 'GET',
        url: `/?board=${board.id}`,
        cookies: reader,
      });
      expect(onBoard.body).toContain(`/img/pins/${pinId}.svg`);
      const elsewhere = await app.inject({ method: 'GET', url: '/?board=999999', cookies: reader });
      expect(elsewhere.statusCode).toBe(200);
      expect(elsewhere.body).not.toContain(`/img/pins/${pinId}.svg`);
      expect(
        (await runtime.feeds.normal.for(3).countBy('board'))[String(board.id)],
      ).toBeGreaterThan(0);
      const notifications = await runtime.feeds.notification.for(4).get({ limit: 5 });
      expect(
        notifications.some((n) => n.verbs[0]?.infinitive === 'follow' && n.actorIds.includes(3)),
      ).toBe(true);
    });
  },
);
