import { describe, expect, it } from 'vitest';
import {
  HttpError,
  formFields,
  parseActivityId,
  parseChoice,
  parseCursor,
  parseId,
  parseInteger,
  parseText,
  safeNext,
} from './validation.js';

function error(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

describe('validation', () => {
  it('parses ids: positive 31-bit integers written in digits', () => {
    expect(parseId('1', 'user id')).toBe(1);
    expect(parseId('2147483647', 'user id')).toBe(2147483647);
    for (const bad of [
      '0',
      '-1',
      '1.0',
      '1e3',
      ' 1',
      '2147483648',
      '12345678901',
      '',
      'abc',
      undefined,
      ['1'],
      7,
    ]) {
      const e = error(() => parseId(bad, 'user id'));
      expect(e.statusCode).toBe(400);
      expect(e.message).toMatch(/^The user id must be/);
    }
    expect(error(() => parseId(['1', '2'], 'pin id')).message).toBe(
      'The pin id must be a positive whole number, got a list of values.',
    );
    expect(error(() => parseId('x'.repeat(100), 'pin id')).message).toContain('…');
  });

  it('parses cursors and notification ids as digit strings', () => {
    expect(parseCursor(undefined)).toBeUndefined();
    expect(parseCursor('')).toBeUndefined();
    expect(parseCursor('0013732667551230000000042005')).toBe('13732667551230000000042005');
    expect(error(() => parseCursor('12a')).statusCode).toBe(400);
    expect(error(() => parseCursor('1'.repeat(47))).statusCode).toBe(400);
    expect(parseActivityId('1373266820000')).toBe('1373266820000');
    expect(error(() => parseActivityId(undefined)).statusCode).toBe(400);
  });

  it('cleans text fields and checks their length', () => {
    expect(parseText('  Moss \n garden  ', 'title', { min: 1, max: 80 })).toBe('Moss garden');
    expect(parseText('🌿'.repeat(5), 'title', { min: 1, max: 5 })).toBe('🌿'.repeat(5));
    expect(error(() => parseText('', 'title', { min: 1, max: 80 })).message).toBe(
      'Please give a title.',
    );
    expect(error(() => parseText('a', 'name', { min: 2, max: 80 })).message).toBe(
      'The name needs at least 2 characters.',
    );
    expect(error(() => parseText('abcdef', 'title', { min: 1, max: 5 })).message).toBe(
      'The title can be at most 5 characters (it has 6).',
    );
    expect(error(() => parseText('a\u0000b', 'title', { min: 1, max: 5 })).message).toContain(
      'cannot be shown',
    );
    expect(error(() => parseText('a\u2028b', 'title', { min: 1, max: 5 })).message).toContain(
      'cannot be shown',
    );
    expect(error(() => parseText(5, 'title', { min: 1, max: 5 })).message).toBe(
      'The title must be text, got number.',
    );
  });

  it('checks choices, integers and form bodies', () => {
    expect(parseChoice('seen', 'mark', ['seen', 'read'])).toBe('seen');
    expect(parseChoice(undefined, 'mark', ['seen', 'read'], 'read')).toBe('read');
    expect(error(() => parseChoice('all', 'mark', ['seen', 'read'])).message).toBe(
      'The mark must be one of seen, read, got "all".',
    );
    expect(parseInteger('359', 'colour', 0, 359)).toBe(359);
    expect(error(() => parseInteger('360', 'colour', 0, 359)).statusCode).toBe(400);
    expect(formFields(undefined)).toEqual({});
    expect(error(() => formFields('a=b')).statusCode).toBe(400);
    expect(error(() => formFields([1])).statusCode).toBe(400);
  });

  it('only follows local paths', () => {
    expect(safeNext('/people?x=1', '/')).toBe('/people?x=1');
    for (const bad of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'people',
      '/a\nb',
      5,
      undefined,
    ]) {
      expect(safeNext(bad, '/')).toBe('/');
    }
  });
});
