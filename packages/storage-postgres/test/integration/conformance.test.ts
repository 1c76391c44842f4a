import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { afterAll } from 'vitest';
import { createPool, dropStorage, testStorage } from './helpers.js';

// The @sf/feeds conformance suite against a real PostgreSQL, unchanged, in the default JSON
// format and in Stream Framework's wire format, and with serializable `modify`. Each test gets
// its own schema, dropped afterwards.
const pool = createPool();
afterAll(async () => {
  await pool.end();
});

for (const format of ['json', 'stream-framework'] as const) {
  runStorageConformanceSuite({
    name: `postgres (${format} format)`,
    createBackend: async () => {
      const backend = await testStorage(pool, { format });
      return { backend, cleanup: () => dropStorage(backend) };
    },
  });
}
