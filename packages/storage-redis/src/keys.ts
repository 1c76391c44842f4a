import * as crypto from 'node:crypto';
import { RedisConfigurationError } from './errors.js';
import { hashTagOf, keySlot } from './slot.js';

/** The two marker lists of a notification feed. */
export type MarkerList = 'unseen' | 'unread';

/**
 * Where a notification feed's marker lists live: a Python-style format with `%(key)s` (the
 * markers key the feed passes, e.g. `notification_feed:21`) and `%(list)s` (`unseen` /
 * `unread`), or a function.
 */
export type MarkersKeyFormat = string | ((key: string, list: MarkerList) => string);

/** Stream Framework's `RedisListsStorage` key format. */
export const DEFAULT_MARKERS_KEY_FORMAT = 'list:%(key)s:%(list)s';

export interface RedisKeysOptions {
  keyPrefix: string;
  activityKey: string;
  activityShards: number;
  markersKeyFormat: MarkersKeyFormat | undefined;
  /** Add `{...}` hash tags so that keys used together share a cluster slot. */
  hashTags: boolean;
}

type OneShotHash = (algorithm: string, data: string, outputEncoding: 'buffer') => Buffer;
/** `crypto.hash` (Node >= 20.12): no Hash object per call, so nothing for the GC to finalize. */
const oneShotHash = (crypto as { hash?: OneShotHash }).hash;

function md5(text: string): Buffer {
  // A Hash object per id made every young-generation GC finalize thousands of native objects
  // (several ms per pause under a read load): the one-shot function allocates none.
  return oneShotHash
    ? oneShotHash('md5', text, 'buffer')
    : crypto.createHash('md5').update(text, 'utf8').digest();
}

/**
 * The shard of an activity id in Stream Framework's ShardedHashCache:
 * `int(md5(str(id)).hexdigest(), 16) % shards` (id 17041104000000000000005003 -> 3).
 */
export function activityShard(id: string, shards: number): number {
  const digest = md5(id);
  // The 128-bit digest as a big-endian number, reduced modulo `shards` 32 bits at a time.
  let remainder = 0;
  for (let offset = 0; offset < 16; offset += 4) {
    remainder = (remainder * 0x1_0000_0000 + digest.readUInt32BE(offset)) % shards;
  }
  return remainder;
}

function formatMarkersKey(format: string, key: string, list: MarkerList): string {
  return format.replaceAll('%(key)s', key).replaceAll('%(list)s', list);
}

/**
 * Every Redis key this package uses, in one place.
 *
 * Single node (default, `hashTags: false`): exactly Stream Framework's keys:
 * timelines `<prefix><feed key>`, activities `<prefix>global:0..9`, markers
 * `<prefix>list:<markers key>:unseen|unread`, plus the `modify` locks `<prefix><feed key>:lock` and the
 * aggregated feeds' version counters `<prefix><feed key>:version`.
 *
 * Cluster (`hashTags: true`): timelines and activity shards keep their names (each is used
 * alone); the two marker lists of a feed become `list:{<markers key>}:unseen|unread` so that one
 * script can update both; a feed's lock becomes `{<prefix><feed key>}:lock` (its version
 * `{<prefix><feed key>}:version`), in the feed's slot
 * (the braces hash exactly the feed key). Keys that already carry a hash tag are left as they are.
 */
export class RedisKeys {
  readonly keyPrefix: string;
  readonly activityKey: string;
  readonly activityShards: number;
  readonly hashTags: boolean;
  readonly #markersKeyFormat: MarkersKeyFormat | undefined;
  readonly #shardKeys: string[];

  constructor(options: RedisKeysOptions) {
    if (
      !Number.isSafeInteger(options.activityShards) ||
      options.activityShards < 1 ||
      options.activityShards > 1_000_000
    ) {
      throw new RedisConfigurationError(
        `activityShards must be an integer from 1 to 1000000, got ${String(options.activityShards)}`,
      );
    }
    if (typeof options.activityKey !== 'string' || options.activityKey.length === 0) {
      throw new RedisConfigurationError(
        `activityKey must be a non-empty string, got ${JSON.stringify(options.activityKey)}`,
      );
    }
    if (typeof options.keyPrefix !== 'string') {
      throw new RedisConfigurationError(
        `keyPrefix must be a string, got ${JSON.stringify(options.keyPrefix)}`,
      );
    }
    const format = options.markersKeyFormat;
    if (format !== undefined && typeof format !== 'function') {
      if (typeof format !== 'string' || !format.includes('%(list)s')) {
        throw new RedisConfigurationError(
          `markersKeyFormat must contain %(list)s (and usually %(key)s), got ${JSON.stringify(format)}`,
        );
      }
    }
    this.keyPrefix = options.keyPrefix;
    this.activityKey = options.activityKey;
    this.activityShards = options.activityShards;
    this.hashTags = options.hashTags;
    this.#markersKeyFormat = format;
    this.#shardKeys = Array.from(
      { length: this.activityShards },
      (_, shard) => `${this.keyPrefix}${this.activityKey}:${shard}`,
    );
  }

  /** The sorted set of a feed. */
  timeline(feedKey: string): string {
    return this.keyPrefix + feedKey;
  }

  /** The lock `modify` takes on a feed; in the feed's hash slot when hash tags are on. */
  lock(feedKey: string): string {
    const timeline = this.timeline(feedKey);
    if (!this.hashTags || hashTagOf(timeline) !== null) return `${timeline}:lock`;
    return `{${timeline}}:lock`;
  }

  /**
   * The version counter of an aggregated feed, incremented by every locked (`modify`) and batched
   * (`modifyMany`) write; in the feed's hash slot when hash tags are on, as the lock.
   */
  version(feedKey: string): string {
    const timeline = this.timeline(feedKey);
    if (!this.hashTags || hashTagOf(timeline) !== null) return `${timeline}:version`;
    return `{${timeline}}:version`;
  }

  /**
   * The cache-tier state of a feed (`c:<token>` complete, `l:<token>` a fill in progress: see
   * `RedisTimelineStorage.addToCached`); in the feed's hash slot when hash tags are on, as the lock.
   */
  cacheState(feedKey: string): string {
    const timeline = this.timeline(feedKey);
    if (!this.hashTags || hashTagOf(timeline) !== null) return `${timeline}:cached`;
    return `{${timeline}}:cached`;
  }

  /**
   * Where the indexes of a flat timeline declaring `index` live: `<timeline>:sfidx:` + suffix;
   * `{<timeline>}:sfidx:` + suffix when hash tags are on, in the feed's slot, as the lock.
   */
  indexBase(feedKey: string): string {
    const timeline = this.timeline(feedKey);
    if (!this.hashTags || hashTagOf(timeline) !== null) return `${timeline}:sfidx:`;
    return `{${timeline}}:sfidx:`;
  }

  /** The activity hash holding `id`. */
  activityShardKey(id: string): string {
    return this.#shardKeys[activityShard(id, this.activityShards)]!;
  }

  /**
   * The set of the ids of the activities carrying a foreign id: `<prefix><activityKey>_fid:<foreignId>`
   * (`global_fid:pin:123`); outside the `global:*` hashes Stream Framework scans.
   */
  foreignIdKey(foreignId: string): string {
    return `${this.keyPrefix}${this.activityKey}_fid:${foreignId}`;
  }

  /** Every activity hash (`global:0` .. `global:<shards-1>`). */
  activityShardKeys(): readonly string[] {
    return this.#shardKeys;
  }

  /** The unseen or unread list of a notification feed. */
  marker(markersKey: string, list: MarkerList): string {
    const format = this.#markersKeyFormat;
    if (typeof format === 'function') return this.keyPrefix + format(markersKey, list);
    if (typeof format === 'string')
      return this.keyPrefix + formatMarkersKey(format, markersKey, list);
    const tagged = this.hashTags && hashTagOf(this.keyPrefix + `list:${markersKey}`) === null;
    return (
      this.keyPrefix + (tagged ? `list:{${markersKey}}:${list}` : `list:${markersKey}:${list}`)
    );
  }

  /** Both marker lists; checks that a cluster can update them in one script. */
  markers(markersKey: string, checkSlot: boolean): [unseen: string, unread: string] {
    const unseen = this.marker(markersKey, 'unseen');
    const unread = this.marker(markersKey, 'unread');
    if (checkSlot && keySlot(unseen) !== keySlot(unread)) {
      throw new RedisConfigurationError(
        `the marker lists ${JSON.stringify(unseen)} and ${JSON.stringify(unread)} hash to different cluster slots; ` +
          'give markersKeyFormat a hash tag, e.g. "list:{%(key)s}:%(list)s"',
      );
    }
    return [unseen, unread];
  }
}
