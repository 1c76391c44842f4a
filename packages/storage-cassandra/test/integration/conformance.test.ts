import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { afterAll } from 'vitest';
import { createClient, testStorage } from './helpers.js';

const client = createClient();
afterAll(async () => {
  await client.shutdown();
});

runStorageConformanceSuite({
  name: 'cassandra (json format)',
  createBackend: async () => ({ backend: testStorage(client), cleanup: async () => {} }),
});

runStorageConformanceSuite({
  name: 'cassandra (stream framework format)',
  createBackend: async () => ({
    backend: testStorage(client, { format: 'stream-framework' }),
    cleanup: async () => {},
  }),
});

runStorageConformanceSuite({
  name: 'cassandra (process locks)',
  createBackend: async () => ({
    backend: testStorage(client, { lock: { mode: 'process' } }),
    cleanup: async () => {},
  }),
});
