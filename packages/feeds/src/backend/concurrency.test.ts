import { describe, expect, it } from 'vitest';
import { forEachLimited } from './concurrency.js';

const tick = (ms = 2) => new Promise((resolve) => setTimeout(resolve, ms));

describe('forEachLimited', () => {
  it('runs every item, at most limit at once, with its index', async () => {
    let running = 0;
    let peak = 0;
    const seen: Array<[number, number]> = [];
    await forEachLimited(
      [...Array(20).keys()].map((i) => i * 10),
      3,
      async (item, index) => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        seen.push([item, index]);
        running--;
      },
    );
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a[1] - b[1])).toEqual([...Array(20).keys()].map((i) => [i * 10, i]));
  });

  it('does nothing for no items', async () => {
    await forEachLimited([], 4, async () => {
      throw new Error('never');
    });
  });

  it('starts nothing after the first failure and rejects with it', async () => {
    const started: number[] = [];
    await expect(
      forEachLimited([1, 2, 3, 4, 5], 1, async (item) => {
        started.push(item);
        if (item === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });

  it('rejects only after the tasks already running have settled (no write lands after the caller saw the error)', async () => {
    const finished: number[] = [];
    const failure = forEachLimited([1, 2, 3, 4], 2, async (item) => {
      if (item === 1) throw new Error('first');
      await tick(20);
      finished.push(item);
      if (item === 2) throw new Error('second');
    });
    await expect(failure).rejects.toThrow('first');
    expect(finished).toEqual([2]); // 2 was running and finished; 3 and 4 never started
  });

  it('refuses a limit that is not a positive integer', async () => {
    await expect(forEachLimited([1], 0, async () => {})).rejects.toThrow(RangeError);
  });
});
