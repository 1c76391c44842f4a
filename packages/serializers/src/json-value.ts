import { SerializationError } from '@sf/activity';
import { childPath, describeType, isPlainArray, isPlainObject } from './field-path.js';
import { MAX_NESTING } from './pickle-value.js';

const ALLOWED =
  'only null, booleans, finite numbers, strings, arrays and plain objects can be stored as JSON';

function refuse(path: string, why: string): never {
  throw new SerializationError(`cannot serialize ${path} as JSON: ${why}`, { field: path });
}

/**
 * Canonical JSON for a value that JSON carries exactly: object keys sorted (by UTF-16 code
 * units), so equal values always give the same text.
 * @throws SerializationError naming the path of anything else
 */
export function encodeJsonValue(
  value: unknown,
  path: string,
  depth = 0,
  ancestors = new Set<object>(),
): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) refuse(path, `got ${describeType(value)} (${ALLOWED})`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      refuse(path, `got ${describeType(value)} (${ALLOWED})`);
  }
  if (depth >= MAX_NESTING) refuse(path, `containers nested more than ${MAX_NESTING} levels deep`);
  if (ancestors.has(value)) refuse(path, 'circular reference');
  let text: string;
  if (isPlainArray(value)) {
    ancestors.add(value);
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) refuse(childPath(path, i), 'arrays with holes cannot be stored');
      items.push(encodeJsonValue(value[i], childPath(path, i), depth + 1, ancestors));
    }
    text = `[${items.join(',')}]`;
  } else if (isPlainObject(value)) {
    if (Object.getOwnPropertySymbols(value).length > 0)
      refuse(path, 'symbol keys cannot be stored');
    ancestors.add(value);
    const keys = Object.keys(value).sort();
    text = `{${keys.map((key) => `${JSON.stringify(key)}:${encodeJsonValue(value[key], childPath(path, key), depth + 1, ancestors)}`).join(',')}}`;
  } else {
    refuse(path, `got ${describeType(value)} (${ALLOWED})`);
  }
  ancestors.delete(value);
  return text;
}

/** What `findJsonProblem` found: the keys from the checked value down to it, and what is wrong. */
interface JsonProblem {
  keys: (string | number)[];
  message: string;
}

/** Checks parsed JSON for nesting beyond `MAX_NESTING` (so what is read can be written again). */
export function checkJsonDepth(value: unknown, path: string, depth = 0): void {
  const problem = findJsonProblem(value, depth);
  if (problem === null) return;
  // Paths are only built for the error: building one per key made every read pay for them.
  const at = problem.keys.reduce<string>((parent, key) => childPath(parent, key), path);
  throw new SerializationError(`${at}: ${problem.message}`, { field: at });
}

function findJsonProblem(value: unknown, depth: number): JsonProblem | null {
  // JSON.parse turns an overflowing literal such as 1e400 into Infinity, which no writer accepts.
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { keys: [], message: `number out of range (${value})` };
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_NESTING) {
    return { keys: [], message: `containers nested more than ${MAX_NESTING} levels deep` };
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const problem = findJsonProblem(value[index], depth + 1);
      if (problem !== null) {
        problem.keys.unshift(index);
        return problem;
      }
    }
    return null;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const problem = findJsonProblem(object[key], depth + 1);
    if (problem !== null) {
      problem.keys.unshift(key);
      return problem;
    }
  }
  return null;
}
