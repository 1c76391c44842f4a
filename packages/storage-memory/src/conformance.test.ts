import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { streamFrameworkFormat } from '@sf/serializers';
import { memoryStorage } from './index.js';

runStorageConformanceSuite({
  name: 'memory (json format)',
  createBackend: async () => ({ backend: memoryStorage(), cleanup: async () => {} }),
});

runStorageConformanceSuite({
  name: 'memory (stream framework format)',
  createBackend: async () => ({
    backend: memoryStorage({ format: streamFrameworkFormat() }),
    cleanup: async () => {},
  }),
});
