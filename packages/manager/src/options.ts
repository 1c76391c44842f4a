import { invalidOption } from './errors.js';

/** An option that must be a positive integer (`fallback` when absent), else `SF_INVALID_OPTION`. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1)
    throw invalidOption(`${name} must be a positive integer, got ${String(value)}`, name, value);
  return result;
}
