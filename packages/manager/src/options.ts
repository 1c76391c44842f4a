import { SfError } from '@sf/activity';

/** An option that must be a positive integer (`fallback` when absent), else `SF_INVALID_OPTION`. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1) {
    throw new SfError(
      'SF_INVALID_OPTION',
      `${name} must be a positive integer, got ${String(value)}`,
    );
  }
  return result;
}
