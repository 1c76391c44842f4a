import { InvalidArgumentError } from '@sf/activity';
import { InvalidFeedOptionError } from './errors.js';

/** A user (or any feed owner) id: a non-negative integer (a bigint beyond 2^53) or a short token. */
export type UserId = number | bigint | string;

const tokenPattern = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Validates a feed owner's id, so a crafted id can never address another key space.
 * @throws InvalidArgumentError (path `userId`) for anything but a non-negative safe integer or a token of
 * letters, digits and `_.:-` (1 to 128 characters)
 */
export function validateUserId(userId: unknown): UserId {
  if (typeof userId === 'number' && Number.isSafeInteger(userId) && userId >= 0) return userId;
  if (typeof userId === 'bigint' && userId >= 0n) return userId;
  if (typeof userId === 'string' && tokenPattern.test(userId)) return userId;
  throw new InvalidArgumentError(
    `a feed owner id must be a non-negative integer or a token of letters, digits and _.:- (max 128), got ${typeof userId} ${typeof userId === 'bigint' ? `${userId}n` : JSON.stringify(userId)}`,
    { path: 'userId', value: userId },
  );
}

/**
 * Fills a key format with a user id. Accepts `{userId}` and Stream Framework's `%(user_id)s`,
 * so Python key formats can be used as they are.
 */
export function formatFeedKey(keyFormat: string, userId: UserId): string {
  const id = String(validateUserId(userId));
  return keyFormat.replaceAll('{userId}', id).replaceAll('%(user_id)s', id);
}

/**
 * Validates a key format: it must contain the user id placeholder exactly once.
 * @param path names the option in the error (`options.markersKeyFormat`)
 * @throws InvalidFeedOptionError
 */
export function validateKeyFormat(keyFormat: unknown, path = 'options.keyFormat'): string {
  if (typeof keyFormat !== 'string' || keyFormat.length === 0) {
    throw new InvalidFeedOptionError(
      `keyFormat must be a non-empty string, got ${JSON.stringify(keyFormat)}`,
      {
        path,
        value: keyFormat,
      },
    );
  }
  const placeholders = (keyFormat.match(/\{userId\}|%\(user_id\)s/g) ?? []).length;
  if (placeholders !== 1) {
    throw new InvalidFeedOptionError(
      `keyFormat ${JSON.stringify(keyFormat)} must contain the placeholder {userId} (or %(user_id)s) exactly once`,
      { path, value: keyFormat },
    );
  }
  return keyFormat;
}

/** The user id a key was built from, or undefined when the key does not match the format. */
export function userIdFromKey(keyFormat: string, key: string): string | undefined {
  const [before, after] = keyFormat.split(/\{userId\}|%\(user_id\)s/) as [string, string];
  if (!key.startsWith(before) || !key.endsWith(after) || key.length <= before.length + after.length)
    return undefined;
  return key.slice(before.length, key.length - after.length);
}
