/**
 * Drill 2 as an integration test (the cheapest drill, so the repository's test command exercises
 * a real crash): 2 worker processes fan out flat and aggregated feeds on Redis, one is killed with
 * SIGKILL mid-fanout, a new one is started, and every feed must end exactly as the ledger says.
 * The same test with the queue on Redis and on PostgreSQL (BullMQ's PostgreSQL backend).
 * Drills 1 and 3 run through `pnpm drill`.
 */
import { expect, it } from 'vitest';
import { runDrill2 } from '../../src/drill-2-worker-crash.js';
import type { QueueKind } from '../../src/drills/app.js';
import { drillTable } from '../../src/drills/report.js';

const queues: QueueKind[] = ['redis', 'postgres'];

it.each(queues)(
  'drill 2, queue on %s: a worker killed with SIGKILL mid-fanout loses and duplicates nothing',
  async (queue) => {
    const result = await runDrill2({
      scale: Number(process.env.SF_DRILL2_SCALE || 0.5),
      log: () => undefined,
      queue,
    });
    console.log(drillTable(result));
    const figure = (label: string) => result.figures.find(([name]) => name === label)?.[1];
    expect(result.failures).toEqual([]);
    expect(figure('flat missing')).toBe(0);
    expect(figure('flat duplicated')).toBe(0);
    expect(figure('aggregated missing')).toBe(0);
    expect(figure('aggregated duplicated')).toBe(0);
    expect(figure('flat found')).toBe(figure('flat feed writes expected'));
    expect(figure('jobs failed for good')).toBe(0);
    expect(result.ok).toBe(true);
  },
  300_000,
);
