import { userIdFromKey, validateKeyFormat } from '@sf/feeds';
import { detectFormatMismatch, resolveFormat } from '@sf/feeds/backend';
import type { SerializationFormat } from '@sf/feeds/backend';
import type { ChainableCommander } from 'ioredis';
import { RedisRunner, type RedisClient } from '../redis-runner.js';
import { RedisConfigurationError } from '../errors.js';
import { RedisKeys, activityShard } from '../keys.js';
import { prefixPattern, scanKeys } from '../keyspace.js';
import { EntryAnalyzer, kindOfMember, type EntryKind } from './entries.js';
import { PatternStats, type MigrationReport, type PatternKind } from './report.js';

/** A feed key format the check should know (keys matching none are classified by their content). */
export interface CheckedFeed {
  kind: 'flat' | 'aggregated' | 'notification';
  /** e.g. `feed:normal:%(user_id)s` or `feed:normal:{userId}`. */
  keyFormat: string;
  /** Entries kept (default: the check's maxLength). */
  maxLength?: number;
}

export interface MigrationCheckOptions {
  redis: RedisClient;
  /** The storage's keyPrefix (default ''). */
  keyPrefix?: string;
  /** SCAN MATCH pattern (default: every key starting with keyPrefix, or `*`). */
  match?: string;
  /** The format this library will be configured with (default 'stream-framework'). */
  format?: 'json' | 'stream-framework' | SerializationFormat;
  feeds?: readonly CheckedFeed[];
  /** maxLength of feeds not configured otherwise (default 100, Stream Framework's). */
  maxLength?: number;
  /** Marker ids kept per list (default 100). */
  markersMaxLength?: number;
  activityKey?: string;
  activityShards?: number;
  /** The storage's markersKeyFormat (default `list:%(key)s:%(list)s`). */
  markersKeyFormat?: string;
  /** COUNT of each SCAN / ZSCAN / HSCAN and LRANGE chunk (default 500). */
  count?: number;
}

type Plan =
  | { kind: 'activity'; shard: number }
  | { kind: 'timeline'; feed: CheckedFeed | undefined; pattern: string }
  | { kind: 'markers'; pattern: string }
  | { kind: 'other'; pattern: string; type: string };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function markersPattern(format: string): RegExp {
  const source = format
    .split(/(%\(key\)s|%\(list\)s)/)
    .map((part) =>
      part === '%(key)s' ? '\\{?(.+?)\\}?' : part === '%(list)s' ? '(unseen|unread)' : escape(part),
    )
    .join('');
  return new RegExp(`^${source}$`);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1)
    throw new RedisConfigurationError(`${name} must be a positive integer, got ${String(value)}`);
  return resolved;
}

/**
 * Scans a Redis keyspace (SCAN with COUNT, pipelined reads, never KEYS) and reports, per key
 * pattern, what this library would read as stored, rewrite differently, refuse to write back or
 * skip (undecodable: lost), plus Python features in the data, activities missing from the
 * activity hashes, feeds over their maxLength and the state of the marker lists.
 */
export async function migrationCheck(options: MigrationCheckOptions): Promise<MigrationReport> {
  const runner = new RedisRunner(options.redis);
  const keyPrefix = options.keyPrefix ?? '';
  const match = options.match ?? (keyPrefix === '' ? '*' : prefixPattern(keyPrefix));
  // The check is for data Python wrote: the Stream Framework format unless told otherwise.
  const format = resolveFormat(options.format ?? 'stream-framework', 'migrationCheck.format');
  const maxLength = positive('maxLength', options.maxLength, 100);
  const markersMaxLength = positive('markersMaxLength', options.markersMaxLength, 100);
  const count = positive('count', options.count, 500);
  const feeds = (options.feeds ?? []).map((feed) => ({
    ...feed,
    keyFormat: validateKeyFormat(feed.keyFormat),
  }));
  const keys = new RedisKeys({
    keyPrefix,
    activityKey: options.activityKey ?? 'global',
    activityShards: options.activityShards ?? 10,
    markersKeyFormat: undefined,
    hashTags: false,
  });
  const shardPattern = new RegExp(`^${escape(keyPrefix + keys.activityKey)}:(\\d+)$`);
  const markers = markersPattern(options.markersKeyFormat ?? 'list:%(key)s:%(list)s');
  const analyzer = new EntryAnalyzer(format);
  const patterns = new Map<string, PatternStats>();
  const samples = new Map<PatternStats, string[]>();
  const stats = (pattern: string, kind: PatternKind, type: string) => {
    const id = `${pattern}\u0000${kind}\u0000${type}`;
    let found = patterns.get(id);
    if (!found) patterns.set(id, (found = new PatternStats(pattern, kind, type)));
    return found;
  };
  const exists = new Map<string, boolean>();
  let scanned = 0;

  const plan = (key: string, type: string): Plan => {
    const rest = key.startsWith(keyPrefix) ? key.slice(keyPrefix.length) : key;
    const generalized = rest.replace(/\d+/g, '*');
    const shard = shardPattern.exec(key);
    if (type === 'hash' && shard && Number(shard[1]) < keys.activityShards)
      return { kind: 'activity', shard: Number(shard[1]) };
    if (type === 'list' && markers.test(rest)) return { kind: 'markers', pattern: generalized };
    if (type === 'zset') {
      const feed = feeds.find(
        (candidate) => userIdFromKey(candidate.keyFormat, rest) !== undefined,
      );
      return { kind: 'timeline', feed, pattern: feed?.keyFormat ?? generalized };
    }
    return { kind: 'other', pattern: generalized, type };
  };

  const record = (
    target: PatternStats,
    kind: EntryKind,
    key: string,
    entry: string,
    references: Map<string, PatternStats[]>,
  ) => {
    const result = analyzer.analyze(kind, entry);
    target.entry(key, entry, result);
    if (result.status === 'undecodable') {
      const list = samples.get(target) ?? [];
      if (list.length < 3) samples.set(target, [...list, entry]);
    }
    for (const id of result.activityIds) {
      if (!/^\d{1,40}$/.test(id)) continue;
      const holders = references.get(id) ?? [];
      holders.push(target);
      references.set(id, holders);
    }
  };

  /** Looks referenced activity ids up in their shards (HEXISTS, pipelined, cached). */
  const checkReferences = async (references: Map<string, PatternStats[]>) => {
    const unknown = [...references.keys()].filter((id) => !exists.has(id));
    for (let start = 0; start < unknown.length; start += count) {
      const chunk = unknown.slice(start, start + count);
      const replies = await runner.batch(
        { operation: 'check.activities' },
        chunk.map((id) => {
          const shard = keys.activityShardKey(id);
          return {
            key: shard,
            enqueue: (pipeline: ChainableCommander) => void pipeline.hexists(shard, id),
          };
        }),
      );
      if (exists.size > 200_000) exists.clear();
      chunk.forEach((id, i) => exists.set(id, replies[i] === 1));
    }
    for (const [id, holders] of references)
      if (exists.get(id) === false) for (const holder of holders) holder.missing(id);
  };

  // Connects (a Cluster client learns its masters, which SCAN visits one by one).
  await runner.call({ operation: 'check.ping' }, (client) => client.ping());
  await scanKeys(options.redis, match, count, async (batch) => {
    scanned += batch.length;
    const types = await runner.batch(
      { operation: 'check.type' },
      batch.map((key) => ({
        key,
        enqueue: (pipeline: ChainableCommander) => void pipeline.type(key),
      })),
    );
    const references = new Map<string, PatternStats[]>();
    const readers: Reader[] = [];
    batch.forEach((key, i) => {
      const type = String(types[i]);
      if (type === 'none') return; // deleted since SCAN returned it
      const p = plan(key, type);
      if (p.kind === 'other') {
        stats(p.pattern, 'other', type).report.keys++;
      } else if (p.kind === 'activity') {
        const target = stats(`${keys.activityKey}:*`, 'activity', 'hash');
        target.report.keys++;
        readers.push(
          scanReader('hscan', key, count, (pairs) => {
            for (let j = 0; j < pairs.length; j += 2) {
              const [field, value] = [pairs[j]!, pairs[j + 1]!];
              if (activityShard(field, keys.activityShards) !== p.shard) target.report.wrongShard++;
              record(target, 'activity', key, value, references);
            }
          }),
        );
      } else if (p.kind === 'markers') {
        const target = stats(p.pattern, 'markers', 'list');
        target.report.keys++;
        const ids: string[] = [];
        readers.push(
          listReader(
            key,
            count,
            (chunk) => ids.push(...chunk),
            () => markerList(target, ids, markersMaxLength),
          ),
        );
      } else {
        readers.push(
          timelineReader(key, p, count, maxLength, stats, (target, kind, member) =>
            record(target, kind, key, member, references),
          ),
        );
      }
    });
    await readAll(runner, readers);
    await checkReferences(references);
  });

  const report: MigrationReport = {
    format: format.name,
    keyPrefix,
    match,
    keys: scanned,
    lost: 0,
    ok: true,
    patterns: [...patterns.values()]
      .map((target) => target.report)
      .sort((a, b) => a.pattern.localeCompare(b.pattern) || a.kind.localeCompare(b.kind)),
  };
  for (const [target, entries] of samples) {
    const r = target.report;
    if (r.kind === 'activity' || r.kind === 'aggregated' || r.kind === 'notification') {
      if (r.undecodable !== r.entries) continue;
      const mismatch = detectFormatMismatch({
        key: r.pattern,
        kind: r.kind,
        format: format.name,
        entries,
      });
      if (mismatch)
        r.hint = `none decode in '${format.name}', they decode in '${mismatch.detectedFormat}': configure (and check with) format '${mismatch.detectedFormat}'`;
    }
  }
  report.lost = report.patterns.reduce((sum, p) => sum + p.undecodable + p.wrongShard, 0);
  report.ok = report.lost === 0;
  return report;
}

function markerList(target: PatternStats, ids: readonly string[], markersMaxLength: number): void {
  const m = target.report.markers!;
  m.lists++;
  target.report.entries += ids.length;
  if (
    ids.some(
      (id, i) =>
        i > 0 && /^\d+$/.test(id) && /^\d+$/.test(ids[i - 1]!) && BigInt(id) < BigInt(ids[i - 1]!),
    )
  )
    m.pythonOrder++;
  if (new Set(ids).size < ids.length) m.duplicates++;
  m.notIds += ids.filter((id) => !/^\d+$/.test(id)).length;
  if (ids.length > markersMaxLength) {
    m.overMaxLength.lists++;
    m.overMaxLength.entries += ids.length - markersMaxLength;
  }
}

/** One key read in COUNT-bounded steps; every step of every unfinished reader goes in one pipelined batch. */
interface Reader {
  key: string;
  done: boolean;
  enqueue(pipeline: ChainableCommander): void;
  take(reply: unknown): void;
}

async function readAll(runner: RedisRunner, readers: Reader[]): Promise<void> {
  for (
    let pending = readers;
    pending.length > 0;
    pending = pending.filter((reader) => !reader.done)
  ) {
    const replies = await runner.batch(
      { operation: 'check.read' },
      pending.map((reader) => ({
        key: reader.key,
        enqueue: (pipeline: ChainableCommander) => reader.enqueue(pipeline),
      })),
    );
    pending.forEach((reader, i) => reader.take(replies[i]));
  }
}

/** HSCAN / ZSCAN a key: `each` gets the flat `[field, value, ...]` / `[member, score, ...]` pairs. */
function scanReader(
  command: 'hscan' | 'zscan',
  key: string,
  count: number,
  each: (pairs: string[]) => void,
  end?: () => void,
): Reader {
  let cursor = '0';
  return {
    key,
    done: false,
    enqueue: (pipeline) => void pipeline[command](key, cursor, 'COUNT', count),
    take(reply) {
      const [next, pairs] = reply as [string, string[]];
      cursor = next;
      each(pairs);
      if (cursor === '0') {
        this.done = true;
        end?.();
      }
    },
  };
}

function listReader(
  key: string,
  count: number,
  each: (items: string[]) => void,
  end: () => void,
): Reader {
  let start = 0;
  return {
    key,
    done: false,
    enqueue: (pipeline) => void pipeline.lrange(key, start, start + count - 1),
    take(reply) {
      const items = reply as string[];
      start += items.length;
      each(items);
      if (items.length < count) {
        this.done = true;
        end();
      }
    },
  };
}

/** A sorted set: its members, classified by the configured feed or by the first member that looks like a feed entry. */
function timelineReader(
  key: string,
  p: Extract<Plan, { kind: 'timeline' }>,
  count: number,
  defaultMaxLength: number,
  stats: (pattern: string, kind: PatternKind, type: string) => PatternStats,
  record: (target: PatternStats, kind: EntryKind, member: string) => void,
): Reader {
  let kind: EntryKind | undefined = p.feed?.kind;
  let target: PatternStats | undefined;
  let length = 0;
  const buffered: string[] = [];
  const flush = (members: readonly string[]) => {
    kind ??= members.map(kindOfMember).find((found) => found !== undefined);
    if (kind === undefined) {
      // No feed entry yet: keep a bounded number of members, in case one turns up later.
      if (buffered.length < 10_000) buffered.push(...members);
      return;
    }
    if (!target) {
      target = stats(p.pattern, kind, 'zset');
      target.report.keys++;
    }
    for (const member of buffered.splice(0)) record(target, kind, member);
    for (const member of members) record(target, kind, member);
  };
  return scanReader(
    'zscan',
    key,
    count,
    (pairs) => {
      const members = pairs.filter((_, i) => i % 2 === 0);
      length += members.length;
      flush(members);
    },
    () => {
      if (target) target.length(p.feed?.maxLength ?? defaultMaxLength, length);
      else stats(p.pattern, 'other', 'zset').report.keys++;
    },
  );
}
