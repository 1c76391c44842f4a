import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { memoryStorage } from '@sf/storage-memory';
import { tieredStorage } from './index.js';

// The @sf/feeds conformance suite, unchanged, on a memory cache in front of a memory durable
// store: with the default cache length, with a cache shorter than the suite's feeds (pages past
// it come from the durable store), and with inline refills.
runStorageConformanceSuite({
  name: 'tiered (memory + memory)',
  createBackend: async () => ({
    backend: tieredStorage({ cache: memoryStorage(), durable: memoryStorage() }),
    cleanup: async () => {},
  }),
});

runStorageConformanceSuite({
  name: 'tiered (memory + memory, cacheMaxLength 3, inline refills)',
  createBackend: async () => ({
    backend: tieredStorage({
      cache: memoryStorage(),
      durable: memoryStorage(),
      cacheMaxLength: 3,
      refill: 'inline',
    }),
    cleanup: async () => {},
  }),
});

runStorageConformanceSuite({
  name: 'tiered (memory + memory, stream-framework format)',
  createBackend: async () => ({
    backend: tieredStorage({
      cache: memoryStorage({ format: 'stream-framework' }),
      durable: memoryStorage({ format: 'stream-framework' }),
      cacheMaxLength: 4,
    }),
    cleanup: async () => {},
  }),
});
