import { SerializationError } from '@sf/activity';

/**
 * Python's `'%.6f' % datetime_to_epoch(dt)`, computed from integer microseconds (no float
 * printing, so it is exact for every value).
 */
export function formatEpochMicroseconds(epochMicroseconds: bigint): string {
  const negative = epochMicroseconds < 0n;
  const magnitude = negative ? -epochMicroseconds : epochMicroseconds;
  const seconds = magnitude / 1_000_000n;
  const fraction = (magnitude % 1_000_000n).toString().padStart(6, '0');
  return `${negative ? '-' : ''}${seconds}.${fraction}`;
}

/**
 * Parses epoch seconds written as `'%.6f'` (0 to 6 decimals accepted) into exact integer
 * microseconds.
 * @throws SerializationError on anything else (exponents, `inf`, spaces, 7+ decimals...)
 */
export function parseEpochMicroseconds(text: string, field: string): bigint {
  const match = /^(-?)([0-9]{1,16})(?:\.([0-9]{1,6}))?$/.exec(text);
  if (!match) {
    throw new SerializationError(
      `${field}: expected epoch seconds with up to 6 decimals (like 1373266755.123456), got ${JSON.stringify(text.slice(0, 40))}`,
      { field },
    );
  }
  const magnitude = BigInt(match[2]!) * 1_000_000n + BigInt((match[3] ?? '').padEnd(6, '0'));
  return match[1] === '-' ? -magnitude : magnitude;
}

/** Floor division of microseconds to milliseconds (as Python's datetime truncates toward the past). */
export function microsecondsToMilliseconds(epochMicroseconds: bigint): bigint {
  const quotient = epochMicroseconds / 1000n;
  return epochMicroseconds < 0n && quotient * 1000n !== epochMicroseconds
    ? quotient - 1n
    : quotient;
}
