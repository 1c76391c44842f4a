/**
 * Drill 6, small, as an integration test: a private redis-server as the cache (the drill starts
 * and kills it; never the shared Redis), PostgreSQL (SF_POSTGRES_URL) as the durable store,
 * FLUSHALL on the cache several times during fanout and reads; nothing lost, every read answered,
 * the cache refilled and equal to PostgreSQL.
 */
import { expect, it } from 'vitest';
import { runDrill6 } from '../../src/drill-6-tiered-cache-flush.js';
import { drillTable } from '../../src/drills/report.js';
import { POSTGRES_URL } from './services.js';

it('drill 6: FLUSHALL on the cache of a tiered backend during fanout loses nothing and every read answers', async () => {
  const result = await runDrill6(() => undefined, {
    users: 300,
    authors: 10,
    followersPerAuthor: 60,
    activities: 120,
    readers: 4,
    cacheMaxLength: 20,
    maxLength: 60,
    flushEveryMs: 500,
    paceMs: 20,
    postgresUrl: POSTGRES_URL,
  });
  console.log(drillTable(result));
  const figure = (label: string) => result.figures.find(([name]) => name === label)?.[1];
  expect(result.skipped).toBeUndefined();
  expect(result.failures).toEqual([]);
  expect(figure('entries lost (ledger vs feeds)')).toBe(0);
  expect(figure('reads failed')).toBe(0);
  expect(figure('cached feeds differing from PostgreSQL')).toBe(0);
  expect(Number(figure('FLUSHALL sent to the cache'))).toBeGreaterThan(0);
  expect(Number(figure('hits of 100 first pages read after the check'))).toBeGreaterThan(0);
});
