import { describe, expect, it } from 'vitest';
import { createRuntime } from './runtime.js';
import { seed } from './seed.js';

describe('seed', () => {
  it('builds a skewed follow graph, boards and pins, fanned out through the Manager', async () => {
    const runtime = await createRuntime({ storage: 'memory' });
    try {
      const phases = new Set<string>();
      const now = Date.UTC(2026, 0, 15, 12);
      const summary = await seed(runtime, {
        users: 60,
        pins: 240,
        now,
        seed: 3,
        onProgress: (phase) => phases.add(phase),
      });
      expect([...phases]).toEqual(['people', 'follows', 'pins', 'fanout', 'loves']);
      expect(summary).toMatchObject({ users: 60, pins: 240 });
      expect(summary.boards).toBeGreaterThanOrEqual(60);
      expect(summary.fanoutTasks).toBeGreaterThan(0);
      expect(await runtime.store.totals()).toMatchObject({
        users: 60,
        pins: 240,
        follows: summary.follows,
        loves: summary.loves,
      });

      // A few accounts with many followers, most with few.
      const users = await runtime.store.listUsers();
      const counts = [
        ...(await runtime.store.followerCounts(users.map((u) => u.id))).values(),
      ].sort((a, b) => b - a);
      const median = counts[Math.floor(counts.length / 2)]!;
      expect(counts[0]!).toBeGreaterThan(30);
      expect(median).toBeLessThan(6);
      expect(summary.topAccounts[0]!.followers).toBe(counts[0]);

      // Pins go back a few weeks; every follower's home feed holds the pins of the people they follow.
      const reader = summary.suggestedUser!;
      const home = await runtime.feeds.normal.for(reader.id).get();
      const following = new Set(await runtime.store.followingIds(reader.id));
      expect(home.length).toBeGreaterThan(0);
      for (const activity of home) expect(following.has(Number(activity.actorId))).toBe(true);
      const oldest = home.at(-1)!.time.getTime();
      expect(now - oldest).toBeGreaterThan(7 * 86_400_000);
      expect(now - oldest).toBeLessThanOrEqual(28 * 86_400_000);
      expect(await runtime.feeds.aggregated.for(reader.id).count()).toBeGreaterThan(0);

      // Follows and loves reached notification feeds.
      const top = summary.topAccounts[0]!;
      expect((await runtime.feeds.notification.for(top.id).counts()).unseen).toBeGreaterThan(0);
    } finally {
      await runtime.close();
    }
  });

  it('gives the same world for the same seed', async () => {
    const worlds = [];
    for (let i = 0; i < 2; i++) {
      const runtime = await createRuntime({ storage: 'memory' });
      await seed(runtime, { users: 15, pins: 50, now: Date.UTC(2026, 0, 1), seed: 9 });
      worlds.push({
        users: (await runtime.store.listUsers()).map((u) => u.name),
        home: (await runtime.feeds.normal.for(1).get()).map((a) => a.serializationId),
      });
      await runtime.close();
    }
    expect(worlds[0]).toEqual(worlds[1]);
  });
});
