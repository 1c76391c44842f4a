import { runConcurrentWritersSuite } from '@sf/feeds/testing';
import { redisStorage, type RedisClient } from '../../src/index.js';
import { cleanupKeys, targets, uniquePrefix } from './helpers.js';

const WRITERS = 20;

for (const target of targets()) {
  const prefix = uniquePrefix();
  // Every writer has its own connection and backend, like separate worker processes: only the
  // Redis lock keeps them apart.
  const clients: RedisClient[] = Array.from({ length: WRITERS }, () => target.connect());
  runConcurrentWritersSuite({
    name: target.name,
    backends: clients.map((redis) =>
      redisStorage({ redis, keyPrefix: prefix, lock: { acquireTimeout: 60_000 } }),
    ),
    cleanup: async () => {
      await cleanupKeys(clients[0]!, prefix);
      await Promise.all(clients.map((client) => client.quit()));
    },
    // The fanout tests contend hard (20 writers on the same 2-3 feeds); on a loaded machine
    // they need more than the default 120 s.
    timeout: 300_000,
  });
}
