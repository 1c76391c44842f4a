import { describe, expect, it } from 'vitest';
import { StreamServerError } from '../../src/client.js';
import { serverPerSuite, targets } from './helpers.js';

const T0 = Date.UTC(2024, 4, 1, 12);

for (const target of targets()) {
  describe(`ranked reads over HTTP (${target.name})`, () => {
    const http = serverPerSuite(target);

    it('ranks by likes, pages with the cursor, keeps pages stable while activities arrive', async () => {
      await http.client.follow(52, 51);
      const likes = [2, 7, 0, 7, 1, 5, 3];
      const published: Array<{ id: string; likes: number }> = [];
      for (const [i, count] of likes.entries()) {
        const { id } = await http.client.publish(51, {
          verb: 'pin',
          object: 500 + i,
          time: T0 + i * 1000,
          extraContext: { likes: count },
        });
        published.push({ id, likes: count });
      }
      const expected = [...published]
        .reverse()
        .sort((a, b) => b.likes - a.likes)
        .map((entry) => entry.id);
      const served: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await http.client.readFeed('timeline', 52, {
          ranking: 'popular',
          limit: 3,
          cursor,
        });
        expect(page.ranking).toBe('popular');
        served.push(...page.items.map((item) => (item as { id: string }).id));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
        await http.client.publish(51, {
          verb: 'pin',
          object: 600 + pages,
          time: T0 + 60_000 + pages,
          extraContext: { likes: 100 },
        });
      } while (cursor);
      expect(pages).toBe(3);
      expect(served).toEqual(expected);
      const fresh = await http.client.readFeed('timeline', 52, { ranking: 'popular', limit: 3 });
      expect(
        fresh.items.map(
          (item) => (item as unknown as { extraContext: { likes: number } }).extraContext.likes,
        ),
      ).toEqual([100, 100, 100]);
      const error = await http.client
        .readFeed('timeline', 52, { ranking: 'popular', cursor: 'bm90LWEtY3Vyc29y' })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StreamServerError);
      expect((error as StreamServerError).status).toBe(400);
    });
  });
}
