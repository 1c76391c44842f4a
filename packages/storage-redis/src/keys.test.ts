import { describe, expect, it } from 'vitest';
import { RedisConfigurationError } from './errors.js';
import { RedisKeys, activityShard } from './keys.js';
import { keySlot } from './slot.js';

const keys = (options: Partial<ConstructorParameters<typeof RedisKeys>[0]> = {}) =>
  new RedisKeys({
    keyPrefix: '',
    activityKey: 'global',
    activityShards: 10,
    markersKeyFormat: undefined,
    hashTags: false,
    ...options,
  });

describe('activityShard', () => {
  it('is md5(id) mod N, as ShardedHashCache', () => {
    // Values from Python: int(md5(id.encode()).hexdigest(), 16) % n
    expect(activityShard('17041104000000000000005003', 10)).toBe(3);
    expect(activityShard('13886318456780000000500004', 10)).toBe(3);
    expect(activityShard('13886319056780000000501003', 10)).toBe(5);
    expect(activityShard('13886319656780000000502004', 10)).toBe(6);
    expect(activityShard('1', 10)).toBe(1);
    expect(activityShard('17041104000000000000005003', 7)).toBe(4);
    expect(activityShard('13886319656780000000502004', 1_000_003)).toBe(674341);
    expect(activityShard('abc', 1)).toBe(0);
  });
});

describe('RedisKeys', () => {
  it("uses Stream Framework's keys on a single node", () => {
    const k = keys();
    expect(k.timeline('feed:normal:21')).toBe('feed:normal:21');
    expect(k.activityShardKey('17041104000000000000005003')).toBe('global:3');
    expect(k.activityShardKeys()).toEqual(Array.from({ length: 10 }, (_, i) => `global:${i}`));
    expect(k.marker('notification_feed:21', 'unseen')).toBe('list:notification_feed:21:unseen');
    expect(k.markers('notification_feed:21', false)).toEqual([
      'list:notification_feed:21:unseen',
      'list:notification_feed:21:unread',
    ]);
    expect(k.lock('feed:aggregated:21')).toBe('feed:aggregated:21:lock');
  });

  it('prefixes every key', () => {
    const k = keys({ keyPrefix: 'app:', activityKey: 'acts', activityShards: 3 });
    expect(k.timeline('feed:1')).toBe('app:feed:1');
    expect(k.activityShardKeys()).toEqual(['app:acts:0', 'app:acts:1', 'app:acts:2']);
    expect(k.marker('n:1', 'unread')).toBe('app:list:n:1:unread');
    expect(k.lock('feed:1')).toBe('app:feed:1:lock');
  });

  it('adds hash tags so keys used together share a cluster slot', () => {
    const k = keys({ hashTags: true, keyPrefix: 'p:' });
    const [unseen, unread] = k.markers('notification_feed:21', true);
    expect(unseen).toBe('p:list:{notification_feed:21}:unseen');
    expect(unread).toBe('p:list:{notification_feed:21}:unread');
    expect(keySlot(unseen)).toBe(keySlot(unread));
    expect(k.lock('feed:aggregated:21')).toBe('{p:feed:aggregated:21}:lock');
    expect(keySlot(k.lock('feed:aggregated:21'))).toBe(keySlot(k.timeline('feed:aggregated:21')));
    // keys that already carry a hash tag keep it
    expect(k.lock('feed:{21}')).toBe('p:feed:{21}:lock');
    expect(keySlot(k.lock('feed:{21}'))).toBe(keySlot(k.timeline('feed:{21}')));
    expect(k.marker('n:{21}', 'unseen')).toBe('p:list:n:{21}:unseen');
    expect(k.timeline('feed:1')).toBe('p:feed:1');
    expect(k.activityShardKey('1')).toBe('global:1'.replace('global', 'p:global'));
  });

  it('takes a markers key format, as a string or a function', () => {
    expect(keys({ markersKeyFormat: 'markers:%(key)s:%(list)s' }).marker('n:1', 'unseen')).toBe(
      'markers:n:1:unseen',
    );
    expect(
      keys({ markersKeyFormat: (key, list) => `${list}/${key}` }).marker('n:1', 'unread'),
    ).toBe('unread/n:1');
    expect(() => keys({ markersKeyFormat: 'markers:%(key)s' })).toThrow(RedisConfigurationError);
    const split = keys({ markersKeyFormat: 'm:%(list)s:%(key)s', hashTags: true });
    expect(() => split.markers('n:1', true)).toThrow(/different cluster slots/);
    expect(split.markers('n:1', false)).toEqual(['m:unseen:n:1', 'm:unread:n:1']);
  });

  it('refuses bad options', () => {
    expect(() => keys({ activityShards: 0 })).toThrow(/activityShards/);
    expect(() => keys({ activityShards: 1.5 })).toThrow(/activityShards/);
    expect(() => keys({ activityKey: '' })).toThrow(/activityKey/);
  });
});
