/**
 * Deterministic numeric stand-ins for ids that do not fit a serialization id as they are
 * (strings such as UUIDs and slugs, object ids beyond 10 digits, actor ids beyond 20 digits)
 * and for foreign ids. They are stored inside serialization ids, so the algorithm never changes:
 * 64-bit FNV-1a over the UTF-8 bytes of a tagged text (`s:<string>` for a string id, `n:<decimal>`
 * for an integer id, `f:<foreignId>` for a foreign id).
 *
 * A stand-in can collide: two different values with the same hash, in the same millisecond (and,
 * for object stand-ins, with the same verb and actor), would get the same serialization id. Every
 * activity storage refuses to store an activity under an id that holds a different one
 * (`ActivityConflictError`), so a collision is reported, never a silent overwrite.
 */

const encoder = new TextEncoder();

/** 2^64: string (and oversized) actor stand-ins start here, above every unsigned 64-bit id. */
const TWO_TO_64 = 1n << 64n;
const TEN_TO_10 = 10_000_000_000n;

/** 64-bit FNV-1a of the UTF-8 bytes of `text`, as an unsigned bigint. */
export function fnv1a64(text: string): bigint {
  // Four 16-bit limbs, least significant first; offset basis 0xcbf29ce484222325.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const bytes = isAscii(text) ? null : encoder.encode(text);
  const length = bytes ? bytes.length : text.length;
  for (let i = 0; i < length; i++) {
    h0 ^= bytes ? bytes[i]! : text.charCodeAt(i);
    // h * 0x100000001b3 (2^40 + 0x1b3) mod 2^64
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (h0 << 8) + Math.floor(t1 / 65536);
    const t3 = h3 * 0x1b3 + (h1 << 8) + Math.floor(t2 / 65536);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  const high = h3 * 65536 + h2;
  const low = h1 * 65536 + h0;
  return (BigInt(high) << 32n) | BigInt(low);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function tagged(value: string | number | bigint): string {
  return typeof value === 'string' ? `s:${value}` : `n:${value}`;
}

/** The 10-digit object stand-in of a string id or an integer id beyond 10 digits. */
export function objectStandIn(value: string | number | bigint): number {
  return Number(fnv1a64(tagged(value)) % TEN_TO_10);
}

/**
 * The actor stand-in of a string id or an integer id beyond 20 digits: 2^64 + hash, a 20-digit
 * number above every unsigned 64-bit id, so it never equals a numeric actor id that fits.
 */
export function actorStandIn(value: string | number | bigint): bigint {
  return TWO_TO_64 + fnv1a64(tagged(value));
}

/** The 20-digit stand-in of a foreign id: 2^64 + hash. */
export function foreignIdStandIn(foreignId: string): bigint {
  return TWO_TO_64 + fnv1a64(`f:${foreignId}`);
}
