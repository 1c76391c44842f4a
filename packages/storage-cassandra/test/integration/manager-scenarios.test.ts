import { runManagerScenarioSuite } from '@sf/manager/testing';
import { afterAll } from 'vitest';
import { createClient, testStorage } from './helpers.js';

// The Manager scenario suite of @sf/manager/testing, unchanged, on Cassandra (a devDependency:
// the storage never depends on the manager at runtime).
const client = createClient();
afterAll(async () => {
  await client.shutdown();
});

for (const format of ['json', 'stream-framework'] as const) {
  runManagerScenarioSuite({
    name: `cassandra (${format} format)`,
    createBackend: async () => ({
      backend: testStorage(client, { format }),
      cleanup: async () => {},
    }),
  });
}
