import { describe, expect, it } from 'vitest';
import { Activity } from './activity.js';
import { DehydratedActivity } from './dehydrated-activity.js';
import { ActivityNotFoundError, InvalidActivityError } from './errors.js';
import { Love } from './verb.js';

const activity = new Activity({
  actor: 1,
  verb: Love,
  object: 42,
  epochMicroseconds: 1373266755123456,
});
const ID = '13732667551230000000042003';

describe('DehydratedActivity', () => {
  it('keeps the serialization id as a decimal string (given as a string or a bigint)', () => {
    expect(new DehydratedActivity(ID).serializationId).toBe(ID);
    expect(new DehydratedActivity(13732667551230000000042003n).serializationId).toBe(ID);
  });

  it('rejects an id that is not a decimal integer', () => {
    expect(() => new DehydratedActivity('01')).toThrow(InvalidActivityError);
    expect(() => new DehydratedActivity('-5')).toThrow('got string -5');
  });

  it('hydrate returns the activity stored under its id', () => {
    const activities = new Map([[ID, activity]]);
    expect(new DehydratedActivity(ID).hydrate(activities)).toBe(activity);
  });

  it('hydrate throws ActivityNotFoundError for an id missing from the map', () => {
    const activities = new Map([[ID, activity]]);
    const missing = new DehydratedActivity('13732667551230000000042004');
    let error: unknown;
    try {
      missing.hydrate(activities);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActivityNotFoundError);
    expect((error as ActivityNotFoundError).activityId).toBe('13732667551230000000042004');
    expect((error as ActivityNotFoundError).code).toBe('SF_ACTIVITY_NOT_FOUND');
    expect((error as Error).message).toBe(
      'activity 13732667551230000000042004 not found in the activity storage',
    );
  });

  it('round-trips through Activity.dehydrate', () => {
    const activities = new Map([[activity.serializationId, activity]]);
    expect(activity.dehydrate().hydrate(activities)).toBe(activity);
  });

  it('toString shows the id', () => {
    expect(new DehydratedActivity(ID).toString()).toBe(`DehydratedActivity(${ID})`);
  });
});
