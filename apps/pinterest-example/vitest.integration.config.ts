import { integrationConfig } from '../../vitest.shared.js';

// Browser (Chromium), Redis + BullMQ and Cassandra tests against real services.
export default integrationConfig({ testTimeout: 120_000, hookTimeout: 300_000 });
