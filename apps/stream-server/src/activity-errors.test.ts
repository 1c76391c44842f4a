import { ActivityConflictError, Activity, InvalidArgumentError, Love } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { toErrorBody } from './errors.js';

// Issue 12 items 1 and 3: what the library's activity errors become for the caller.
describe('activity errors as HTTP answers', () => {
  it("answers 409 for another actor's activity under the same id, with the library's message", () => {
    const error = new ActivityConflictError('17145648000000000000005003', 1, 2);
    expect(toErrorBody(error)).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'SF_ACTIVITY_CONFLICT',
      message: error.message,
    });
    expect(error.message).toContain('activity 17145648000000000000005003 of actor 2 was refused');
  });

  it('answers 400 naming the field and the range for a time serialization ids cannot hold', () => {
    let caught: unknown;
    try {
      new Activity({ actor: 7, verb: Love, object: 1, time: 253_402_300_800_000 });
    } catch (error) {
      caught = error;
    }
    const body = toErrorBody(caught);
    expect(body.statusCode).toBe(400);
    expect(body.code).toBe('SF_INVALID_ACTIVITY');
    expect(body.message).toContain('activity time must not be after 2255-06-05T23:47:34.740Z');
    expect(body.message).toContain('allowed: 1970-01-01T00:00:00.000Z to 2255-06-05T23:47:34.740Z');
  });

  // Issue 13: bad input other than an activity's own fields (a user id, a page, a feed option) is
  // an InvalidArgumentError now, not an InvalidActivityError: still a 400 with the library's code.
  it('answers 400 with the code for every InvalidArgumentError', () => {
    const error = new InvalidArgumentError('limit must be a non-negative integer, got -1', {
      path: 'query.limit',
      value: -1,
      code: 'SF_INVALID_QUERY',
    });
    expect(toErrorBody(error)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'SF_INVALID_QUERY',
      message: 'limit must be a non-negative integer, got -1',
    });
    expect(toErrorBody(new InvalidArgumentError('bad user', { path: 'userId' })).statusCode).toBe(
      400,
    );
  });
});
