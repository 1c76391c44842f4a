import { runManagerScenarioSuite } from '@sf/manager/testing';
import { afterAll } from 'vitest';
import { createPool, dropStorage, testStorage } from './helpers.js';

// The Manager scenario suite of @sf/manager/testing, unchanged, on PostgreSQL (a devDependency:
// the storage never depends on the manager at runtime), in both formats.
const pool = createPool();
afterAll(async () => {
  await pool.end();
});

for (const format of ['json', 'stream-framework'] as const) {
  runManagerScenarioSuite({
    name: `postgres (${format} format)`,
    createBackend: async () => {
      const backend = await testStorage(pool, { format });
      return { backend, cleanup: () => dropStorage(backend) };
    },
  });
}
