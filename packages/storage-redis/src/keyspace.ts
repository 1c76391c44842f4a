import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-runner.js';
import { RedisConfigurationError } from './errors.js';

/** The nodes holding a client's keys: every master of a cluster, or the one server. */
function nodesOf(client: RedisClient): Redis[] {
  return (client as { isCluster?: boolean }).isCluster === true
    ? (client as Cluster).nodes('master')
    : [client as Redis];
}

/** A SCAN pattern matching the keys that start with `prefix` (glob characters in it escaped). */
export function prefixPattern(prefix: string): string {
  if (prefix.length === 0)
    throw new RedisConfigurationError('refusing to match every key of the database (empty prefix)');
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/** Runs `each` on every batch of keys SCAN finds for `pattern` on one node (`count`: SCAN's COUNT hint). */
async function scanNode(
  node: Redis,
  pattern: string,
  each: (keys: string[]) => Promise<void>,
  count = 1000,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    if (keys.length > 0) await each(keys);
  } while (cursor !== '0');
}

/**
 * Runs `each` on every batch of keys matching a SCAN pattern, node by node on a cluster (every
 * master), one batch at a time: SCAN with a COUNT hint, never KEYS, so Redis is never blocked.
 */
export async function scanKeys(
  client: RedisClient,
  pattern: string,
  count: number,
  each: (keys: string[]) => Promise<void>,
): Promise<void> {
  for (const node of nodesOf(client)) await scanNode(node, pattern, each, count);
}

/** Every key that starts with `prefix`, on every master of a cluster (SCAN, never KEYS). Unsorted. */
export async function keysWithPrefix(client: RedisClient, prefix: string): Promise<string[]> {
  const pattern = prefixPattern(prefix);
  const found: string[] = [];
  for (const node of nodesOf(client)) {
    await scanNode(node, pattern, async (keys) => {
      found.push(...keys);
    });
  }
  return found;
}

/**
 * Deletes every key a storage with this `keyPrefix` wrote: the keys that start with it and, on a
 * cluster, the hash-tagged ones that start with `{` and it (the `modify` locks). SCAN and UNLINK
 * on every master, never KEYS or FLUSHDB. Returns how many keys were deleted.
 */
export async function deleteKeysWithPrefix(client: RedisClient, prefix: string): Promise<number> {
  const patterns = [prefixPattern(prefix), prefixPattern(`{${prefix}`)];
  let deleted = 0;
  for (const node of nodesOf(client)) {
    for (const pattern of patterns) {
      await scanNode(node, pattern, async (keys) => {
        // One UNLINK per key in a pipeline: the keys of one cluster node can be in different slots.
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        for (const [error, count] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          deleted += Number(count);
        }
      });
    }
  }
  return deleted;
}
