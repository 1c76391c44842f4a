import { ApiError } from './errors.js';

/**
 * The one check of request JSON, shared by REST bodies and JSON-RPC params: no `__proto__` key
 * and no `constructor` holding a `prototype` key anywhere (prototype pollution), and objects and
 * arrays nested at most `maxDepth` levels (the value itself is level 1). It walks with its own
 * stack, so a value nested far deeper than the call stack allows is refused, never a crash; and
 * it runs before anything recursive (validation, `JSON.stringify`, serializers) sees the value.
 */
export function checkRequestJson(
  value: unknown,
  maxDepth: number,
  where: string,
  /** The level of `value` itself: 0 for a wrapper whose members are the checked values. */
  level = 1,
): void {
  const values: unknown[] = [value];
  const depths: number[] = [level];
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) {
      throw new ApiError(
        400,
        'TOO_DEEP',
        `${where} is nested more than ${maxDepth} levels deep (limits.jsonDepth (${maxDepth}))`,
      );
    }
    if (Array.isArray(current)) {
      for (const element of current) {
        if (typeof element === 'object' && element !== null) {
          values.push(element);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    const record = current as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (key === '__proto__') throw forbidden(where, '"__proto__"');
      if (
        key === 'constructor' &&
        typeof child === 'object' &&
        child !== null &&
        Object.hasOwn(child, 'prototype')
      )
        throw forbidden(where, '"constructor" with "prototype"');
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
}

function forbidden(where: string, what: string): ApiError {
  return new ApiError(
    400,
    'FORBIDDEN_KEY',
    `${where} has a ${what} key (refused: prototype pollution)`,
  );
}

/** A lone surrogate: half of a UTF-16 pair, not a character (no UTF-8 form, no URI encoding). */
const loneSurrogate = /\p{Cs}/u;

/**
 * Indexed values must be well-formed Unicode on every storage: a lone surrogate (`"\ud800"`) has
 * no UTF-8 form, so Redis keys cannot hold it and a query string cannot name it. Refused with a
 * 400 naming the key, on memory and Redis alike.
 */
export function checkIndexValue(key: string, value: string): void {
  if (loneSurrogate.test(value)) {
    throw new ApiError(
      400,
      'BAD_INDEX_VALUE',
      `indexed key ${JSON.stringify(key)} holds a lone surrogate (${JSON.stringify(value)}); indexed values must be well-formed Unicode`,
    );
  }
}
