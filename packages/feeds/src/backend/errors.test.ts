import { describe, expect, it } from 'vitest';
import { errorMessage, isNetworkError } from './index.js';

describe('errorMessage', () => {
  it("gives an Error's message, else the thrown value as a string", () => {
    expect(errorMessage(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toBe(
      'connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});

describe('isNetworkError', () => {
  const withCode = (code: unknown) => Object.assign(new Error(`failed: ${String(code)}`), { code });

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ECONNABORTED',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EAI_AGAIN',
  ])('is true for an Error with code %s', (code) => {
    expect(isNetworkError(withCode(code))).toBe(true);
  });

  it('is false for other codes, codes that are not strings, errors without one and non-Errors', () => {
    expect(isNetworkError(withCode('WRONGTYPE'))).toBe(false);
    expect(isNetworkError(withCode('57P01'))).toBe(false);
    expect(isNetworkError(withCode(111))).toBe(false);
    expect(isNetworkError(new Error('connect ECONNREFUSED'))).toBe(false);
    expect(isNetworkError({ code: 'ECONNREFUSED', message: 'not an Error' })).toBe(false);
  });
});
