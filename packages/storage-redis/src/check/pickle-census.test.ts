import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EntryAnalyzer, kindOfMember } from './entries.js';
import { PickleCensusError, pickleCensus } from './pickle-census.js';
import { streamFrameworkFormat, type SerializationFormat } from '@sf/serializers';

/** Pickles written by Python 3.11's pickle (protocols 0, 2 and 4) of plain extra_context dicts (serializers' fixture). */
const vectors = JSON.parse(
  readFileSync(
    new URL('../../../serializers/test/fixtures/sf-serialization.json', import.meta.url),
    'utf8',
  ),
) as {
  activities: Array<{
    activity_serializer: string;
    pickle_protocol_0: string;
    pickle_protocol_2: string;
  }>;
};

const bytes = (...parts: Array<number | string>) =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1'))),
  );

describe('pickleCensus', () => {
  it('finds nothing in plain data pickled by Python with protocols 0, 2 and 4', () => {
    for (const activity of vectors.activities) {
      for (const pickle of [
        activity.pickle_protocol_0,
        activity.pickle_protocol_2,
        activity.activity_serializer.split(',').slice(5).join(','),
      ]) {
        if (pickle === '') continue;
        expect(pickleCensus(Buffer.from(pickle, 'latin1'))).toEqual(new Map());
      }
    }
  });

  it('counts datetimes, sets, int-keyed dicts, big ints and other objects', () => {
    // protocol 2: {'when': datetime(...), 'at': datetime(...)} with the class memoized and fetched again
    const datetimes = bytes(
      0x80,
      2,
      '}q\x00(X\x04\x00\x00\x00whenq\x01cdatetime\ndatetime\nq\x02C\x0a',
      '\x07\xde\x01\x02\x03\x04\x05\x00\x00\x00',
      '\x85q\x03Rq\x04X\x02\x00\x00\x00atq\x05h\x02C\x0a',
      '\x07\xde\x01\x02\x03\x04\x05\x00\x00\x00',
      '\x85q\x06Rq\x07u.',
    );
    expect(pickleCensus(datetimes)).toEqual(new Map([['datetime', 2]]));
    // protocol 4: {'tags': {1, 2}, 'frozen': frozenset(), 1: 'a', 'big': 2**64}
    const mixed = bytes(
      0x80,
      4,
      '}\x94(\x8c\x04tags\x94\x8f\x94(K\x01K\x02\x90\x8c\x06frozen\x94(\x91K\x01\x8c\x01a\x8c\x03big\x8a\x09',
      '\x00\x00\x00\x00\x00\x00\x00\x00\x01',
      'u.',
    );
    expect(pickleCensus(mixed)).toEqual(
      new Map([
        ['set', 2],
        ['int-keyed-dict', 1],
        ['big-int', 1],
      ]),
    );
    // protocol 0: {'d': Decimal('1.5')}
    const decimal = bytes("(dp0\nS'd'\np1\ncdecimal\nDecimal\np2\n(S'1.5'\np3\ntp4\nRp5\ns.");
    expect(pickleCensus(decimal)).toEqual(new Map([['object:decimal.Decimal', 1]]));
  });

  it('refuses a truncated pickle', () => {
    expect(() => pickleCensus(bytes(0x80, 4, '}\x94\x8c\x05ab'))).toThrow(PickleCensusError);
    expect(() => pickleCensus(bytes("(dp0\nS'n'\nIx1\ns."))).toThrow(PickleCensusError);
    expect(() => pickleCensus(bytes(0x80, 4, '}\x94\x8c\x05ab'))).toThrow(
      expect.objectContaining({ code: 'SF_PICKLE_CENSUS' }),
    );
  });
});

describe('EntryAnalyzer', () => {
  const analyzer = new EntryAnalyzer(streamFrameworkFormat());

  it('reads Python entries as stored and names undecodable ones', () => {
    const [first] = vectors.activities;
    expect(analyzer.analyze('activity', first!.activity_serializer)).toEqual({
      status: 'read',
      findings: [],
      activityIds: [],
    });
    const broken = analyzer.analyze('activity', '13,3,x,0,1.0,');
    expect(broken.status).toBe('undecodable');
    expect(broken.reason).toMatch(/object/);
    const group =
      'v33-2013-07-08;;1373266755.123456;;1373266755.123456;;-1;;-1;;13732667551230000000042003;;0';
    const result = analyzer.analyze('aggregated', group);
    expect(result.findings).toEqual(['microsecond-date']);
    expect(result.activityIds).toEqual(['13732667551230000000042003']);
    expect(result.status).not.toBe('undecodable');
  });

  it('finds Python data in the activities a notification member holds inline', () => {
    const datetime =
      '\x80\x04}\x94\x8c\x04when\x94\x8c\x08datetime\x94\x8c\x08datetime\x94\x93\x94C\x0a\x07\xde\x01\x02\x03\x04\x05\x00\x00\x00\x94\x85\x94R\x94s.';
    const member = `v33-42-2013-07-08;;1373266755.123000;;1373266755.123000;;-1;;-1;;13,3,42,0,1373266755.123000,;1234567890123456789,3,42,0,1373266756.123000,${datetime};;0`;
    expect(analyzer.analyze('notification', member).findings.sort()).toEqual([
      'big-id',
      'extra-context-datetime',
    ]);
  });

  it('counts an entry holding an activity its decoder kept unread (shown on no page) as undecodable', () => {
    const opaque = { raw: '13,3,42,0,1.0,\x80', reason: new Error('pickle class decimal.Decimal') };
    const format = {
      ...streamFrameworkFormat(),
      notificationSerializer: () => ({
        name: 'n',
        loads: () => ({ activities: [opaque] }),
        dumps: () => 'same',
      }),
    } as unknown as SerializationFormat;
    const result = new EntryAnalyzer(format).analyze('notification', 'same');
    expect(result.status).toBe('undecodable');
    expect(result.reason).toBe(
      'an activity kept unread (left out of pages): pickle class decimal.Decimal',
    );
  });

  it('tells feed members apart', () => {
    expect(kindOfMember('13732667551230000000042003')).toBe('flat');
    expect(kindOfMember('v33-2013-07-08;;1.0;;1.0;;-1;;-1;;1;2;;0')).toBe('aggregated');
    expect(kindOfMember('v33-2013-07-08;;1.0;;1.0;;-1;;-1;;13,3,42,0,1373266755.123456,;;0')).toBe(
      'notification',
    );
    expect(kindOfMember('player:7')).toBeUndefined();
  });
});
