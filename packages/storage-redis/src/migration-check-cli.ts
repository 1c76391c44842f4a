#!/usr/bin/env node
/**
 * `sf-redis-migration-check`: scans a Redis keyspace (e.g. one written by Python Stream
 * Framework) and reports what this library would read, rewrite or lose. Exit code 0: nothing
 * would be lost; 1: some entries would be (undecodable, or unreachable); 2: bad arguments or
 * Redis unreachable. See the README ("Coming from Python").
 */
import { parseArgs } from 'node:util';
import { InvalidArgumentError, registerVerb } from '@sf/activity';
import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-runner.js';
import {
  migrationCheck,
  type CheckedFeed,
  type MigrationCheckOptions,
} from './check/migration-check.js';
import { formatReport } from './check/report.js';

const USAGE = `usage: sf-redis-migration-check [options]
  --url <redis url>            the Redis to check (default $REDIS_URL or redis://127.0.0.1:6379)
  --cluster <host:port,...>    check a Redis Cluster instead (every master is scanned)
  --prefix <keyPrefix>         the storage's keyPrefix (default '')
  --match <pattern>            SCAN MATCH pattern (default: <prefix>*)
  --format <name>              stream-framework (default) or json: the format you will configure
  --flat <keyFormat>           a flat feed's key format, e.g. 'feed:normal:%(user_id)s' (repeatable)
  --aggregated <keyFormat>     an aggregated feed's key format (repeatable)
  --notification <keyFormat>   a notification feed's key format (repeatable)
  --max-length <n|keyFormat=n> maxLength of every feed (default 100), or of one key format (repeatable)
  --markers-max-length <n>     marker ids kept per list (default 100)
  --markers-key-format <fmt>   the storage's markersKeyFormat (default list:%(key)s:%(list)s)
  --activity-key <key>         base key of the activity hashes (default global)
  --activity-shards <n>        number of activity hashes (default 10)
  --verb <id=infinitive>       register one of your verbs (repeatable), as your app does
  --count <n>                  COUNT of each SCAN step and read (default 500)
  --json                       print the report as JSON
exit code: 0 nothing would be lost, 1 entries would be lost, 2 usage or connection error`;

/** A bad command line: `path` is the flag (`--count`), `value` what it was given. */
class UsageError extends InvalidArgumentError {
  constructor(message: string, path: string, value: unknown) {
    super(message, { path, value, code: 'SF_CLI_USAGE' });
  }
}

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1)
    throw new UsageError(
      `${name} takes a positive integer, got ${JSON.stringify(text)}`,
      name,
      text,
    );
  return value;
}

interface Cli {
  help: boolean;
  json: boolean;
  url: string | undefined;
  cluster: string | undefined;
  options: Omit<MigrationCheckOptions, 'redis'>;
}

function parse(argv: string[]): Cli {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' },
      cluster: { type: 'string' },
      prefix: { type: 'string', default: '' },
      match: { type: 'string' },
      format: { type: 'string', default: 'stream-framework' },
      flat: { type: 'string', multiple: true, default: [] },
      aggregated: { type: 'string', multiple: true, default: [] },
      notification: { type: 'string', multiple: true, default: [] },
      'max-length': { type: 'string', multiple: true, default: [] },
      'markers-max-length': { type: 'string' },
      'markers-key-format': { type: 'string' },
      'activity-key': { type: 'string' },
      'activity-shards': { type: 'string' },
      verb: { type: 'string', multiple: true, default: [] },
      count: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const format = values.format;
  if (format !== 'stream-framework' && format !== 'json')
    throw new UsageError(
      `--format must be stream-framework or json, got ${JSON.stringify(format)}`,
      '--format',
      format,
    );
  let maxLength: number | undefined;
  const lengths = new Map<string, number>();
  for (const item of values['max-length']) {
    const at = item.lastIndexOf('=');
    if (at < 0) maxLength = integer('--max-length', item);
    else lengths.set(item.slice(0, at), integer('--max-length', item.slice(at + 1)));
  }
  const feeds: CheckedFeed[] = (['flat', 'aggregated', 'notification'] as const).flatMap((kind) =>
    values[kind].map((keyFormat) => ({
      kind,
      keyFormat,
      ...(lengths.has(keyFormat) ? { maxLength: lengths.get(keyFormat)! } : {}),
    })),
  );
  for (const keyFormat of lengths.keys()) {
    if (!feeds.some((feed) => feed.keyFormat === keyFormat))
      throw new UsageError(
        `--max-length ${keyFormat}=...: no --flat, --aggregated or --notification gives that key format`,
        '--max-length',
        keyFormat,
      );
  }
  for (const verb of values.verb) {
    const [id, infinitive] = verb.split('=');
    if (!id || !infinitive)
      throw new UsageError(
        `--verb takes id=infinitive, got ${JSON.stringify(verb)}`,
        '--verb',
        verb,
      );
    registerVerb({ id: integer('--verb', id), infinitive, pastTense: infinitive });
  }
  return {
    help: values.help,
    json: values.json,
    url: values.url,
    cluster: values.cluster,
    options: {
      keyPrefix: values.prefix,
      ...(values.match === undefined ? {} : { match: values.match }),
      format,
      feeds,
      ...(maxLength === undefined ? {} : { maxLength }),
      ...(values['markers-max-length'] === undefined
        ? {}
        : { markersMaxLength: integer('--markers-max-length', values['markers-max-length']) }),
      ...(values['markers-key-format'] === undefined
        ? {}
        : { markersKeyFormat: values['markers-key-format'] }),
      ...(values['activity-key'] === undefined ? {} : { activityKey: values['activity-key'] }),
      ...(values['activity-shards'] === undefined
        ? {}
        : { activityShards: integer('--activity-shards', values['activity-shards']) }),
      ...(values.count === undefined ? {} : { count: integer('--count', values.count) }),
    },
  };
}

function connect(url: string | undefined, cluster: string | undefined): RedisClient {
  const redisOptions = { maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 5000 };
  if (cluster !== undefined) {
    const nodes = cluster.split(',').map((node) => {
      const [host, port] = node.split(':');
      if (!host || !port)
        throw new UsageError(
          `--cluster takes host:port,..., got ${JSON.stringify(cluster)}`,
          '--cluster',
          cluster,
        );
      return { host, port: integer('--cluster port', port) };
    });
    return new Cluster(nodes, { redisOptions, clusterRetryStrategy: () => null });
  }
  return new Redis(url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', redisOptions);
}

async function main(): Promise<number> {
  let parsed: Cli;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (error) {
    console.error(
      `sf-redis-migration-check: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`,
    );
    return 2;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  let redis: RedisClient | undefined;
  try {
    redis = connect(parsed.url, parsed.cluster);
    redis.on('error', () => {}); // failures surface as the commands' errors
    const report = await migrationCheck({ redis, ...parsed.options });
    console.log(parsed.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.ok ? 0 : 1;
  } catch (error) {
    console.error(
      `sf-redis-migration-check: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 2;
  } finally {
    redis?.disconnect();
  }
}

process.exitCode = await main();
