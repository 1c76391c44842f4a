import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { actAs, appWithLog, buildScenario, expectPagesSkipCorrupt } from '../corrupt-records.js';

/**
 * Corrupt records planted directly in Redis (HSET on the app's hashes, a key of the wrong type):
 * the pages that show them render with the other entries, and the records are reported.
 */
describe('corrupt records in Redis', () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const keyPrefix = `pinterest-corrupt-${run}:`;
  const queuePrefix = `pinterest-corrupt-bull-${run}`;
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  let runtime: Runtime;
  let app: FastifyInstance;
  let log: string[];

  beforeAll(async () => {
    runtime = await createRuntime({ storage: 'redis', redisUrl, keyPrefix, queuePrefix });
    ({ app, log } = await appWithLog(runtime));
  });

  afterAll(async () => {
    await app?.close();
    if (runtime) {
      await runtime.reset();
      await runtime.close();
    }
  });

  it('skips and reports a pin hash whose createdAt is no date, and a corrupt user hash', async () => {
    const scenario = await buildScenario(runtime, 'redis', { corruptAtCreation: false });
    const redis = runtime.redis!;
    const app_ = `${keyPrefix}app:`;
    await redis.hset(`${app_}p:${scenario.bad.id}`, 'createdAt', 'not-a-date');
    await redis.hset(`${app_}u:${scenario.cy.id}`, 'createdAt', 'yesterday');
    await expectPagesSkipCorrupt(app, runtime, scenario, log);

    // A key of the wrong type (a string where the pin's hash was) is skipped the same way.
    await redis.del(`${app_}p:${scenario.bad.id}`);
    await redis.set(`${app_}p:${scenario.bad.id}`, 'garbage');
    log.length = 0;
    const cookies = await actAs(app, scenario.ada.id);
    for (const url of ['/', '/grouped', `/u/${scenario.bo.id}`, `/boards/${scenario.boardId}`]) {
      const response = await app.inject({ method: 'GET', url, cookies });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toContain(scenario.good.title);
    }
    expect(
      (await app.inject({ method: 'GET', url: `/pins/${scenario.bad.id}`, cookies })).statusCode,
    ).toBe(404);
    expect(log.join('')).toContain(
      `corrupt pin record ${scenario.bad.id} skipped: userId is not a positive whole number (NaN)`,
    );
  });
});
