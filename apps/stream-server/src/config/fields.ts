import { ConfigError } from './error.js';

/** Helpers of the config parsers: each failure is a ConfigError naming the field. */
export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function fail(path: string, message: string, value?: unknown): never {
  throw new ConfigError(`config ${path}: ${message}`, { path, value });
}

export function only(path: string, value: Json, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      fail(path, `unknown field ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`, key);
  }
}

export function positiveInteger(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    fail(path, `must be a positive integer, got ${JSON.stringify(value)}`, value);
  return value;
}
