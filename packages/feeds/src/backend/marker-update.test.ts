import { describe, expect, it } from 'vitest';
import { applyMarkerUpdate } from './marker-update.js';

describe('applyMarkerUpdate', () => {
  it('removes, clears, then adds without duplicates, newest last, capped', () => {
    let lists = applyMarkerUpdate(
      { unseen: [], unread: [] },
      { add: { unseen: ['1', '2', '3'], unread: ['1', '2'] } },
      4,
    );
    expect(lists).toEqual({ unseen: ['1', '2', '3'], unread: ['1', '2'] });
    lists = applyMarkerUpdate(lists, { add: { unseen: ['1', '4', '5'] } }, 4);
    expect(lists.unseen).toEqual(['3', '1', '4', '5']);
    lists = applyMarkerUpdate(
      lists,
      { remove: { unseen: ['3', '9'] }, clear: { unread: true }, add: { unread: ['7'] } },
      4,
    );
    expect(lists).toEqual({ unseen: ['1', '4', '5'], unread: ['7'] });
  });

  it('does not change its input', () => {
    const input = { unseen: ['1'], unread: ['1'] };
    applyMarkerUpdate(input, { clear: { unseen: true, unread: true } }, 10);
    expect(input).toEqual({ unseen: ['1'], unread: ['1'] });
  });
});
