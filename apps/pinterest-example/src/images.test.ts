import { describe, expect, it } from 'vitest';
import { avatarSvg, initials, pinHeight, pinSvg, wrap } from './images.js';
import { PATTERNS } from './store.js';

describe('images', () => {
  it('draws every pattern as SVG with the escaped title', () => {
    for (const [i, pattern] of PATTERNS.entries()) {
      const svg = pinSvg({
        id: i + 1,
        userId: 1,
        boardId: 1,
        title: 'Tom & Jerry <3',
        hue: i * 50,
        pattern,
        createdAt: 0,
      });
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg).toContain('Tom &amp; Jerry &lt;3');
      expect(svg).not.toContain('<3');
      expect(svg).not.toMatch(/NaN|undefined/);
    }
  });

  it('varies tile heights deterministically', () => {
    const heights = new Set(Array.from({ length: 50 }, (_, id) => pinHeight({ id, title: 'x' })));
    expect(heights.size).toBeGreaterThan(2);
    expect(pinHeight({ id: 7, title: 'x' })).toBe(pinHeight({ id: 7, title: 'x' }));
  });

  it('wraps titles into at most two lines with an ellipsis', () => {
    expect(wrap('Moss garden', 20, 2)).toEqual(['Moss garden']);
    expect(wrap('A very long title that goes on and on and on', 12, 2)).toEqual([
      'A very long',
      'title that…',
    ]);
    expect(wrap('Supercalifragilisticexpialidocious', 10, 2)).toEqual(['Supercali…']);
  });

  it('draws avatars with initials', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('Guido van Rossum')).toBe('GR');
    expect(initials('élan')).toBe('É');
    expect(avatarSvg({ id: 1, name: '<Ada>', handle: 'ada', hue: 10, createdAt: 0 })).toContain(
      'aria-label="&lt;Ada&gt;"',
    );
  });
});
