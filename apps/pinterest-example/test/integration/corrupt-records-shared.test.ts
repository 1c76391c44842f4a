import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { actAs, appWithLog, buildScenario, expectPagesSkipCorrupt } from '../corrupt-records.js';
import type { Scenario } from '../corrupt-records.js';
import { SHARED_MODES, finishModeRun } from './modes.js';
import type { ModeSetup, SharedMode } from './modes.js';

/**
 * Corrupt records planted directly in the shared storage (HSET on the app's Redis hashes, a key
 * of the wrong type; UPDATE of the app's PostgreSQL rows): the pages that show them render with
 * the other entries, and the records are reported.
 */
interface Corrupter {
  /** The bad pin's createdAt and Cy's createdAt become no dates. */
  dates(s: Scenario): Promise<void>;
  /** The bad pin becomes unreadable another way; returns the problem reported. */
  worse(s: Scenario): Promise<string>;
}

function corrupter(mode: SharedMode, setup: ModeSetup, runtime: Runtime): Corrupter {
  if (mode.name === 'redis') {
    const redis = runtime.redis!;
    const app = `${setup.overrides.keyPrefix}app:`;
    return {
      async dates(s) {
        await redis.hset(`${app}p:${s.bad.id}`, 'createdAt', 'not-a-date');
        await redis.hset(`${app}u:${s.cy.id}`, 'createdAt', 'yesterday');
      },
      async worse(s) {
        // A key of the wrong type (a string where the pin's hash was).
        await redis.del(`${app}p:${s.bad.id}`);
        await redis.set(`${app}p:${s.bad.id}`, 'garbage');
        return 'userId is not a positive whole number (NaN)';
      },
    };
  }
  const { url, schema } = setup.overrides.postgres!;
  const sql = async (text: string, values: unknown[]) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  return {
    async dates(s) {
      await sql(`UPDATE "${schema}".app_pins SET created_at = 'NaN' WHERE id = $1`, [s.bad.id]);
      await sql(`UPDATE "${schema}".app_users SET created_at = 1e300 WHERE id = $1`, [s.cy.id]);
    },
    async worse(s) {
      await sql(`UPDATE "${schema}".app_pins SET user_id = 0, title = '' WHERE id = $1`, [
        s.bad.id,
      ]);
      return 'userId is not a positive whole number (0); title is empty';
    },
  };
}

describe.each(SHARED_MODES)('corrupt records: $label', (mode) => {
  let setup: ModeSetup;
  let runtime: Runtime;
  let app: FastifyInstance;
  let log: string[];

  beforeAll(async () => {
    setup = await mode.setup('corrupt');
    runtime = await createRuntime(setup.overrides);
    ({ app, log } = await appWithLog(runtime));
  });

  afterAll(async () => {
    await finishModeRun({ setup, runtime, app });
  });

  it('skips and reports a pin whose createdAt is no date, a corrupt user, and worse', async () => {
    const scenario = await buildScenario(runtime, mode.name, { corruptAtCreation: false });
    const corrupt = corrupter(mode, setup, runtime);
    await corrupt.dates(scenario);
    await expectPagesSkipCorrupt(app, runtime, scenario, log);

    const problem = await corrupt.worse(scenario);
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
    expect(log.join('')).toContain(`corrupt pin record ${scenario.bad.id} skipped: ${problem}`);
  });
});
