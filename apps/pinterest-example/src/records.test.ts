import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { appWithLog, buildScenario, expectPagesSkipCorrupt } from '../test/corrupt-records.js';
import { pinProblems, userProblems } from './records.js';
import { createRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';

describe('record checks', () => {
  const pin = {
    id: 1,
    userId: 2,
    boardId: 3,
    title: 'Kyoto',
    hue: 10,
    pattern: 'dots' as const,
    createdAt: Date.UTC(2024, 0, 1),
  };

  it('accepts a well-formed pin and names each problem of a bad one', () => {
    expect(pinProblems(pin)).toEqual([]);
    expect(pinProblems({ ...pin, createdAt: NaN })).toEqual(['createdAt is not a date (NaN)']);
    expect(pinProblems({ ...pin, createdAt: 9e15 })).toEqual([
      'createdAt is not a date (9000000000000000)',
    ]);
    const wrong = { ...pin, userId: '2', title: '', pattern: 'zigzag' } as unknown as typeof pin;
    expect(pinProblems(wrong)).toEqual([
      'userId is not a positive whole number ("2")',
      'title is empty',
      'pattern is not one of stripes, dots, waves, blocks, rings, peaks ("zigzag")',
    ]);
    expect(
      userProblems({ id: 4, name: 5, handle: 'x', hue: 1, createdAt: 0 } as unknown as Parameters<
        typeof userProblems
      >[0]),
    ).toEqual(['name is not text (5)']);
  });
});

describe('corrupt records on memory storage', () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let log: string[];

  beforeAll(async () => {
    runtime = await createRuntime({ storage: 'memory' });
    ({ app, log } = await appWithLog(runtime));
  });

  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  it('skips and reports a pin whose createdAt is no date and a corrupt user; every page renders', async () => {
    const scenario = await buildScenario(runtime, 'mem', { corruptAtCreation: true });
    await expectPagesSkipCorrupt(app, runtime, scenario, log);
  });
});
