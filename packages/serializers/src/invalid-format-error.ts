import { InvalidArgumentError } from '@sf/activity';

/**
 * A storage's `format` option is neither a known format name nor a complete `SerializationFormat`,
 * or a format got an option it cannot write with. `path` (also `option`) names the option.
 */
export class InvalidFormatError extends InvalidArgumentError {
  /** The option path, e.g. `redisStorage.format` (the same as `path`). */
  readonly option: string;

  constructor(option: string, value: unknown, reason: string) {
    super(`${option} ${reason}, got ${describe(value)}`, {
      path: option,
      value,
      code: 'SF_INVALID_FORMAT',
    });
    this.option = option;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return String(value);
  const keys = Object.keys(value);
  return `an object with keys [${keys.join(', ')}]`;
}
