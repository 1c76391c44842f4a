import { integrationConfig } from '../../vitest.shared.js';

// The tests share one Redis and spawn worker processes.
export default integrationConfig({ testTimeout: 180_000 });
