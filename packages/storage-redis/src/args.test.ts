import { describe, expect, it } from 'vitest';
import { InvalidActivityError, InvalidArgumentError } from '@sf/activity';
import { markersArgs, rangeArgs } from './args.js';

describe('script arguments', () => {
  it('packs a range query: scores and exact ids of the tightest bounds', () => {
    expect(rangeArgs('desc', 'member', undefined, 0, 25)).toEqual([
      'desc',
      'member',
      '-inf',
      '',
      '1',
      '+inf',
      '',
      '1',
      0,
      25,
    ]);
    expect(rangeArgs('asc', 'score', { gte: '10', gt: '10', lt: '99' }, 5, null)).toEqual([
      'asc',
      'score',
      '10',
      '10',
      '0',
      '99',
      '99',
      '0',
      5,
      -1,
    ]);
    expect(rangeArgs('desc', 'member', { lte: '13886318456780000000500004' }, 0, 1)).toEqual([
      'desc',
      'member',
      '-inf',
      '',
      '1',
      '13886318456780000000500004',
      '13886318456780000000500004',
      '1',
      0,
      1,
    ]);
  });

  it('packs a marker update: flags, then four counted groups, duplicates dropped', () => {
    expect(
      markersArgs(
        {
          add: { unseen: ['1', '2', '1'], unread: ['1'] },
          remove: { unread: ['9'] },
          clear: { unseen: true },
        },
        100,
        'chan',
        'n:1',
      ),
    ).toEqual([100, 'chan', 'n:1', '1', '0', 0, 1, '9', 2, '1', '2', 1, '1']);
    expect(markersArgs({}, 3, null, 'n:2')).toEqual([3, '', 'n:2', '0', '0', 0, 0, 0, 0]);
    expect(() => markersArgs({ add: { unseen: [1 as never] } }, 3, null, 'n')).toThrow(
      /add.unseen must be an array of ids/,
    );
    // Marker ids are not an activity: an InvalidArgumentError naming the part of the update.
    let caught: unknown;
    try {
      markersArgs({ remove: { unread: 'x' as never } }, 3, null, 'n');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(caught).not.toBeInstanceOf(InvalidActivityError);
    expect(caught).toMatchObject({
      code: 'SF_INVALID_ARGUMENT',
      path: 'update.remove.unread',
      value: 'x',
    });
  });
});
