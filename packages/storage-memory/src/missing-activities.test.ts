import { afterEach, describe, expect, it, vi } from 'vitest';
import { Feed } from '@sf/feeds';
import { makeActivities } from '@sf/feeds/testing';
import { memoryStorage } from './index.js';

// Issue 12 item 20: `Feed.addMany` without `insertActivities` gave `count() === 1` and an empty
// page, reported only through a hook nobody had set.
describe('a feed read that skips entries whose activity was never stored', () => {
  afterEach(() => vi.restoreAllMocks());

  it("keeps Stream Framework's semantics and warns once per definition, naming the ids and the fix", async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const definition = Feed.define({
      name: 'normal',
      keyFormat: 'feed:normal:{userId}',
      storage: memoryStorage(),
    });
    const [first, second] = makeActivities(2);
    await definition.for(1).addMany([first!]);
    expect(await definition.for(1).count()).toBe(1);
    expect(await definition.for(1).get()).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
    const [message, options] = warn.mock.calls[0]! as [string, { code: string; type: string }];
    expect(message).toContain('feed normal (feed:normal:1)');
    expect(message).toContain(first!.serializationId);
    expect(message).toContain('insertActivity');
    expect(options).toMatchObject({
      code: 'SF_MISSING_ACTIVITIES',
      type: 'SfMissingActivitiesWarning',
    });

    await definition.for(2).addMany([second!]);
    await definition.for(2).get();
    expect(warn).toHaveBeenCalledTimes(1);

    const other = Feed.define({
      name: 'other',
      keyFormat: 'feed:other:{userId}',
      storage: memoryStorage(),
    });
    await other.for(1).add(first!);
    await other.for(1).get();
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('leaves the report to onMissingActivities when one is given', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const reported: Array<[string, string[]]> = [];
    const definition = Feed.define({
      keyFormat: 'feed:{userId}',
      storage: memoryStorage(),
      onMissingActivities: (key, ids) => reported.push([key, ids]),
    });
    const [activity] = makeActivities(1);
    await definition.for(3).add(activity!);
    expect(await definition.for(3).get()).toEqual([]);
    expect(reported).toEqual([['feed:3', [activity!.serializationId]]]);
    expect(warn).not.toHaveBeenCalled();
  });
});
