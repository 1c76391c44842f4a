import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SfError } from '@sf/activity';
import { InvalidFormatError, jsonFormat, resolveFormat, streamFrameworkFormat } from './index.js';

describe('resolveFormat', () => {
  it('takes the two names, undefined (json) and complete format objects', () => {
    expect(resolveFormat(undefined).name).toBe('json');
    expect(resolveFormat('json').name).toBe('json');
    expect(resolveFormat('stream-framework').name).toBe('stream-framework');
    const custom = streamFrameworkFormat({ pickleProtocol: 2 });
    expect(resolveFormat(custom)).toBe(custom);
    expect(resolveFormat(jsonFormat()).name).toBe('json');
  });

  it.each([
    [
      'pickle',
      `x.format must be 'json', 'stream-framework' or a SerializationFormat, got "pickle"`,
    ],
    [42, `x.format must be 'json', 'stream-framework' or a SerializationFormat, got 42`],
    [null, `x.format must be 'json', 'stream-framework' or a SerializationFormat, got null`],
    [
      { ...jsonFormat(), notificationSerializer: undefined },
      'x.format is not a complete SerializationFormat (missing notificationSerializer)',
    ],
    [{ ...jsonFormat(), name: '' }, 'x.format is a SerializationFormat without a name'],
  ])('refuses %j with a typed error naming the option and the value', (value, message) => {
    let thrown: unknown;
    try {
      resolveFormat(value, 'x.format');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidFormatError);
    expect((thrown as InvalidFormatError).message).toContain(message);
    expect((thrown as InvalidFormatError).option).toBe('x.format');
    expect((thrown as InvalidFormatError).code).toBe('SF_INVALID_FORMAT');
    expect(SfError.isInstance(thrown)).toBe(true);
  });
});

describe('InvalidFormatError', () => {
  it('is an InvalidArgumentError whose path is the option', () => {
    const error = new InvalidFormatError('redisStorage.format', 'pickle', 'is wrong');
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect([error.code, error.path, error.option, error.value]).toEqual([
      'SF_INVALID_FORMAT',
      'redisStorage.format',
      'redisStorage.format',
      'pickle',
    ]);
    expect(error.message).toBe('redisStorage.format is wrong, got "pickle"');
  });
});

// A pickle protocol other than 2 or 4 was accepted and failed with a SerializationError at the
// first write of an activity with extraContext.
describe('streamFrameworkFormat pickleProtocol', () => {
  it('refuses anything but 2 and 4 when the format is made, naming the option', () => {
    expect(() => streamFrameworkFormat({ pickleProtocol: 5 as never })).toThrow(InvalidFormatError);
    expect(() => streamFrameworkFormat({ pickleProtocol: 5 as never })).toThrow(
      'streamFrameworkFormat.pickleProtocol must be 2 or 4, got 5',
    );
    expect(streamFrameworkFormat({ pickleProtocol: 2 }).name).toBe('stream-framework');
    expect(streamFrameworkFormat({ pickleProtocol: 4 }).name).toBe('stream-framework');
  });
});
