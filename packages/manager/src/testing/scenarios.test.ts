import { memoryStorage } from '@sf/storage-memory';
import { streamFrameworkFormat } from '@sf/serializers';
import { runManagerScenarioSuite } from './index.js';

runManagerScenarioSuite({
  name: 'memory (json format)',
  createBackend: async () => ({ backend: memoryStorage(), cleanup: async () => {} }),
});

runManagerScenarioSuite({
  name: 'memory (stream framework format)',
  createBackend: async () => ({
    backend: memoryStorage({ format: streamFrameworkFormat() }),
    cleanup: async () => {},
  }),
});
