import { SerializationError } from '@sf/activity';
import { isPlainObject } from './field-path.js';

/** Prefix of every value the JSON format writes: format `j`, version 1. */
export const JSON_PREFIX = 'j1:';

/** Strips the prefix and parses; a non-object or anything unparsable is a `SerializationError`. */
export function parseEnvelope(data: string, kind: string): Record<string, unknown> {
  if (typeof data !== 'string')
    throw new SerializationError(`${kind}: expected a string, got ${typeof data}`);
  if (!data.startsWith(JSON_PREFIX)) {
    const version = /^j[0-9]+:/.exec(data);
    throw new SerializationError(
      version
        ? `version: unsupported JSON format version ${JSON.stringify(version[0])} (this library reads ${JSON_PREFIX})`
        : `version: expected the ${JSON_PREFIX} prefix of the JSON format, got ${JSON.stringify(data.slice(0, 20))}`,
      { field: 'version' },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.slice(JSON_PREFIX.length));
  } catch (error) {
    throw new SerializationError(
      `${kind}: invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!isPlainObject(parsed)) throw new SerializationError(`${kind}: expected a JSON object`);
  return parsed;
}

/** Checks that an object has exactly these keys (a missing key is reported before an unknown one). */
export function checkKeys(
  object: Record<string, unknown>,
  keys: readonly string[],
  prefix: string,
): void {
  const at = (key: string) => (prefix === '' ? key : `${prefix}.${key}`);
  let known = 0;
  let unknown: string | undefined;
  // for-in instead of Object.keys: no array per decoded value on the read path.
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    if (keys.includes(key)) known++;
    else unknown ??= key;
  }
  if (known !== keys.length) {
    for (const key of keys) {
      if (!Object.hasOwn(object, key))
        throw new SerializationError(`${at(key)}: missing`, { field: at(key) });
    }
  }
  if (unknown !== undefined)
    throw new SerializationError(`${at(unknown)}: unknown field`, { field: at(unknown) });
}

/**
 * An actor or target id: a non-negative safe integer, or a decimal string (what the JSON format
 * writes for ids beyond 2^53), read as a bigint when beyond 2^53.
 */
export function readId(value: unknown, field: string): number | bigint {
  return readIntegerId(value, field);
}

/**
 * An actor, object or target id as the JSON format writes it: a number, a decimal string beyond
 * 2^53 (a bigint), or `{"string":"..."}` (a string id; never ambiguous with a bigint).
 */
export function readRef(value: unknown, field: string): number | bigint | string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const text = (value as { string?: unknown }).string;
    if (keys.length === 1 && typeof text === 'string') return text;
    throw new SerializationError(
      `${field}: expected an integer, a decimal string or {"string": "..."}, got ${JSON.stringify(value)?.slice(0, 80)}`,
      { field },
    );
  }
  return readIntegerId(value, field);
}

function readIntegerId(value: unknown, field: string): number | bigint {
  // Only beyond 2^53, so each id has one representation.
  if (typeof value === 'string' && /^[1-9][0-9]{15,39}$/.test(value)) {
    const id = BigInt(value);
    if (id > BigInt(Number.MAX_SAFE_INTEGER)) return id;
  }
  return readInteger(value, field);
}

/** A safe integer (non-negative unless `allowNegative`), else a `SerializationError` on `field`. */
export function readInteger(value: unknown, field: string, allowNegative = false): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || (!allowNegative && value < 0)) {
    throw new SerializationError(
      `${field}: expected ${allowNegative ? 'an' : 'a non-negative'} integer, got ${JSON.stringify(value) ?? typeof value}`,
      { field },
    );
  }
  return value;
}
