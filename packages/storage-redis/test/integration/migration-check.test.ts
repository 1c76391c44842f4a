import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { activityShard, type RedisClient } from '../../src/index.js';
import type { MigrationReport, PatternReport } from '../../src/check/report.js';
import { cleanupKeys, targets, uniquePrefix } from './helpers.js';
import { plantScenario } from './scenario.js';

const cli = fileURLToPath(new URL('../../src/migration-check-cli.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `sf-redis-migration-check` as its own process (from the TypeScript sources). */
function runCheck(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@sf/source', '--import', 'tsx', cli, ...args],
      { cwd: packageRoot, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Python pickles (protocol 4, as `pickle.dumps(extra_context)` writes them) of what Python apps put in extra_context. */
const op = (...parts: Array<number | string | Buffer>): Buffer =>
  Buffer.concat(
    parts.map((part) =>
      typeof part === 'number'
        ? Buffer.from([part])
        : typeof part === 'string'
          ? Buffer.from(part, 'latin1')
          : part,
    ),
  );
const str = (text: string) => op(0x8c, text.length, text, 0x94);
const pickles = {
  // {'when': datetime.datetime(2014, 1, 2, 3, 4, 5, 678000)}
  datetime: op(
    0x80,
    4,
    0x7d,
    0x94,
    str('when'),
    str('datetime'),
    str('datetime'),
    0x93,
    0x94,
    0x43,
    10,
    op(0x07, 0xde, 1, 2, 3, 4, 5, 0x0a, 0x58, 0x70),
    0x94,
    0x85,
    0x94,
    0x52,
    0x94,
    0x73,
    0x2e,
  ),
  // {'tags': {1, 2}}
  set: op(0x80, 4, 0x7d, 0x94, str('tags'), 0x8f, 0x94, 0x28, 0x4b, 1, 0x4b, 2, 0x90, 0x73, 0x2e),
  // {'counts': {1: 'a'}}
  intKeys: op(0x80, 4, 0x7d, 0x94, str('counts'), 0x7d, 0x94, 0x4b, 1, str('a'), 0x73, 0x73, 0x2e),
  // {'pin_id': 1234567890123456789}
  bigInt: op(
    0x80,
    4,
    0x7d,
    0x94,
    str('pin_id'),
    0x8a,
    8,
    Buffer.from(new BigUint64Array([1234567890123456789n]).buffer),
    0x73,
    0x2e,
  ),
};

for (const target of targets()) {
  const clusterKey = (key: string) =>
    target.name === 'cluster' ? key.replace(/^list:(.*):(unseen|unread)$/, 'list:{$1}:$2') : key;
  const connection = () =>
    target.name === 'cluster'
      ? ['--cluster', inject('redisClusterNodes')]
      : ['--url', inject('redisUrl')];

  describe(`sf-redis-migration-check (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;

    beforeAll(() => {
      redis = target.connect();
    });
    beforeEach(async () => {
      prefix = uniquePrefix();
      await plantScenario(redis, prefix, clusterKey);
    });
    afterEach(async () => {
      await cleanupKeys(redis, prefix);
    });
    afterAll(async () => {
      await redis.quit();
    });

    const check = async (...args: string[]) => {
      const run = await runCheck([...connection(), '--prefix', prefix, '--json', ...args]);
      expect(run.stderr).toBe('');
      const report = JSON.parse(run.stdout) as MigrationReport;
      const pattern = (name: string) =>
        report.patterns.find((p) => p.pattern === name) as PatternReport;
      return { code: run.code, report, pattern };
    };

    /** An activity as Python's ActivitySerializer stores it, with a pickled extra_context. */
    const plantActivity = async (object: number, pickle: Buffer, actor = '13') => {
      // Python's serialization id: epoch milliseconds, the object id in 10 digits, the verb id in 3
      const id = `1388632200000${String(object).padStart(10, '0')}003`;
      await redis.hset(
        `${prefix}global:${activityShard(id, 10)}`,
        id,
        `${actor},3,${object},0,1388632200.000000,${pickle.toString('latin1')}`,
      );
      await redis.zadd(`${prefix}feed:normal:21`, id, id);
      return id;
    };

    it("exits 0 on Python's vector keyspace and reports every pattern (issue 12 item 18)", async () => {
      const { code, report, pattern } = await check(
        '--flat',
        'feed:user:%(user_id)s',
        '--max-length',
        'feed:user:%(user_id)s=1000000',
      );
      expect(code).toBe(0);
      expect([report.ok, report.lost, report.format, report.keys]).toEqual([
        true,
        0,
        'stream-framework',
        14,
      ]);
      const summary = (p: PatternReport) => [
        p.kind,
        p.keys,
        p.entries,
        p.read,
        p.rewritten,
        p.undecodable,
      ];
      expect(summary(pattern('feed:normal:*'))).toEqual(['flat', 3, 11, 11, 0, 0]);
      expect(summary(pattern('feed:user:%(user_id)s'))).toEqual(['flat', 2, 5, 5, 0, 0]);
      expect(pattern('feed:user:%(user_id)s').trimming).toEqual({
        maxLength: 1_000_000,
        keys: 0,
        entries: 0,
      });
      expect(summary(pattern('feed:aggregated:*'))).toEqual(['aggregated', 3, 6, 6, 0, 0]);
      expect(summary(pattern('notification_feed:*'))).toEqual(['notification', 1, 3, 3, 0, 0]);
      expect(summary(pattern('global:*'))).toEqual(['activity', 3, 6, 6, 0, 0]);
      for (const list of ['unseen', 'unread']) {
        const markers = pattern(clusterKey(`list:notification_feed:*:${list}`));
        expect([markers.kind, markers.entries, markers.markers]).toEqual([
          'markers',
          3,
          {
            lists: 1,
            pythonOrder: 1,
            duplicates: 0,
            notIds: 0,
            overMaxLength: { lists: 0, entries: 0 },
          },
        ]);
      }
      // activity 501 was removed from the feeds but stays in the activity hashes (as Python leaves it)
      expect(report.patterns.every((p) => p.missingActivities.references === 0)).toBe(true);
    });

    it('exits 0 for what is only rewritten or trimmed, and counts it', async () => {
      // a group Python wrote with microsecond dates, a feed over its maxLength, an id whose activity is gone
      await redis.zadd(
        `${prefix}feed:aggregated:30`,
        '1388632085000',
        'v34-2014-01-02;;1388631845.678123;;1388632085.678456;;-1;;-1;;13886318456780000000500004;;0',
      );
      await redis.zadd(
        `${prefix}feed:normal:22`,
        '13886399999990000000599003',
        '13886399999990000000599003',
      );
      const { code, report, pattern } = await check(
        '--flat',
        'feed:normal:%(user_id)s',
        '--max-length',
        'feed:normal:%(user_id)s=4',
      );
      expect(code).toBe(0);
      expect(report.ok).toBe(true);
      const micro = pattern('feed:aggregated:*').findings['microsecond-date']!;
      expect(micro.entries).toBe(1);
      expect(micro.undecodable).toBe(0);
      expect(pattern('feed:normal:%(user_id)s').trimming).toEqual({
        maxLength: 4,
        keys: 1,
        entries: 1,
      });
      expect(pattern('feed:normal:%(user_id)s').missingActivities).toEqual({
        references: 1,
        examples: ['13886399999990000000599003'],
      });
    });

    it('exits 1 when entries would be lost, naming why, and counts Python data in extra_context', async () => {
      const garbage = await plantActivity(600, Buffer.from('not a pickle'));
      await redis.hset(`${prefix}global:${activityShard(garbage, 10)}`, garbage, 'garbage');
      await redis.zadd(
        `${prefix}feed:aggregated:21`,
        '1388632145000',
        'v3this is not;;an aggregated activity',
      );
      await plantActivity(601, pickles.datetime);
      await plantActivity(602, pickles.set);
      await plantActivity(603, pickles.intKeys);
      await plantActivity(604, pickles.bigInt, '1234567890123456789');

      const { code, report, pattern } = await check();
      expect(code).toBe(1);
      expect(report.ok).toBe(false);
      const activities = pattern('global:*');
      expect(activities.entries).toBe(11);
      expect(activities.undecodable).toBeGreaterThanOrEqual(1);
      expect(
        activities.reasons[
          'activity: expected 6 comma-separated parts (actor,verb,object,target,epoch,pickle), found 1 in "…"'
        ],
      ).toBe(1);
      expect(activities.examples.some((example) => example.status === 'undecodable')).toBe(true);
      // counted whether this library reads them or not: each is read, rewritten or undecodable
      for (const finding of [
        'extra-context-datetime',
        'extra-context-set',
        'extra-context-int-keyed-dict',
        'extra-context-big-int',
        'big-id',
      ]) {
        const counts = activities.findings[finding]!;
        expect(counts.entries, finding).toBe(1);
        expect(
          counts.read + counts.rewritten + counts.unwritable + counts.undecodable,
          finding,
        ).toBe(1);
      }
      expect(pattern('feed:aggregated:*').undecodable).toBe(1);
      expect(report.lost).toBe(
        report.patterns.reduce((sum, p) => sum + p.undecodable + p.wrongShard, 0),
      );

      // the text report says the same
      const text = await runCheck([...connection(), '--prefix', prefix]);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/UNDECODABLE \(skipped, lost\)/);
      expect(text.stdout).toMatch(/Python datetime\/date\/time in extra_context: 1 entries/);
      expect(text.stdout).toMatch(/NOT OK: \d+ entries would be lost/);
    });

    it("with the JSON format, tells that Python's keyspace needs 'stream-framework'", async () => {
      const { code, pattern } = await check('--format', 'json');
      expect(code).toBe(1);
      expect(pattern('global:*').undecodable).toBe(6);
      expect(pattern('global:*').hint).toMatch(/decode in 'stream-framework'/);
    });

    it('exits 2 on bad arguments and on an unreachable Redis', async () => {
      const usage = await runCheck(['--format', 'yaml']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/--format must be stream-framework or json, got "yaml"/);
      const down = await runCheck(['--url', 'redis://127.0.0.1:1', '--prefix', prefix]);
      expect(down.code).toBe(2);
      expect(down.stderr).toMatch(/sf-redis-migration-check: /);
    });
  });
}
