import { InvalidArgumentError, SfError } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { httpLimitsFromEnv } from './http-edge.js';
import { originsFromEnv } from './origin.js';
import { ConfigError, configFromEnv } from './runtime.js';
import { HttpError, badRequest, notFound } from './validation.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('error codes', () => {
  it('configuration errors are InvalidArgumentErrors naming the variable and its value', () => {
    const error = thrown(() => configFromEnv({ SF_STORAGE: 'mongo' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({
      name: 'ConfigError',
      code: 'SF_PINTEREST_CONFIG',
      path: 'SF_STORAGE',
      value: 'mongo',
    });
    expect(thrown(() => configFromEnv({ SF_ACTIVE_DAYS: '0' }))).toMatchObject({
      path: 'SF_ACTIVE_DAYS',
      value: '0',
    });
    expect(thrown(() => originsFromEnv({ SF_PUBLIC_ORIGIN: 'ftp://x' }))).toMatchObject({
      path: 'SF_PUBLIC_ORIGIN',
      value: 'ftp://x',
    });
    expect(
      thrown(() => httpLimitsFromEnv({ SF_MAX_CONNECTIONS_PER_CLIENT: 'many' })),
    ).toMatchObject({ path: 'SF_MAX_CONNECTIONS_PER_CLIENT', value: 'many' });
  });

  it('HTTP errors are SfErrors with a stable code per status', () => {
    expect(badRequest('x')).toBeInstanceOf(SfError);
    expect(badRequest('x')).toMatchObject({ name: 'HttpError', code: 'BAD_REQUEST' });
    expect(notFound('x').code).toBe('NOT_FOUND');
    expect(new HttpError(401, 'x').code).toBe('NO_USER');
    expect(new HttpError(418, 'x').code).toBe('HTTP_418');
    expect(new HttpError(409, 'x', undefined, 'HANDLE_TAKEN').code).toBe('HANDLE_TAKEN');
  });
});
