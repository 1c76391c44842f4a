import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach } from 'vitest';
import { buildApp } from './app.js';
import type { ServerConfig } from './config.js';
import { READ_KEY, WRITE_KEY, testConfig } from './test-config.js';

/** The headers of the test tenant's write and read API keys. */
export const write = { 'x-api-key': WRITE_KEY };
export const read = { 'x-api-key': READ_KEY };

/** The time the REST tests' activities start at (2024-05-01 12:00 UTC). */
export const T0 = Date.UTC(2024, 4, 1, 12);

export interface TestApp {
  /** This test's app. */
  readonly app: FastifyInstance;
  /** Closes this test's app and starts one on `config` instead (closed after the test too). */
  restart(config: ServerConfig): Promise<void>;
}

/**
 * The set-up the REST unit tests share: each test of the file gets a fresh app on
 * `testConfig()` (in-memory storage, so nothing leaks between tests), closed after it.
 */
export function useTestApp(): TestApp {
  let current: FastifyInstance | undefined;
  beforeEach(async () => {
    current = await buildApp({ config: testConfig() });
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get app() {
      if (!current) throw new Error('useTestApp: the app exists only while a test runs');
      return current;
    },
    async restart(config) {
      await current?.close();
      current = await buildApp({ config });
    },
  };
}
