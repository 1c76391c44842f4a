import { describeDomainStore } from '../test/store-contract.js';
import { MemoryStore } from './store.js';

describeDomainStore('memory', async () => ({
  store: new MemoryStore(),
  destroy: async () => undefined,
}));
