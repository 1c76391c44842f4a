import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ReplyCode } from '../../src/lua/codes.js';
import { type ScriptName, scripts } from '../../src/lua/scripts.js';
import { RedisRunner, type RedisClient } from '../../src/redis-runner.js';
import { eventually, targets, useRedis } from './helpers.js';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const names = Object.keys(scripts) as ScriptName[];

/** An argument as MONITOR shows it (C-escaped, as Redis' sdscatrepr writes it), back to its text. */
const escapes: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  a: '\x07',
  b: '\b',
  '"': '"',
  '\\': '\\',
};
const unescape = (shown: string) =>
  shown.replace(/\\(x[0-9a-f]{2}|.)/g, (_, code: string) =>
    code.length === 3 ? String.fromCharCode(parseInt(code.slice(1), 16)) : (escapes[code] ?? code),
  );

function masters(client: RedisClient): Redis[] {
  return (client as { isCluster?: boolean }).isCluster === true
    ? (client as Cluster).nodes('master')
    : [client as Redis];
}

// The Lua sources are assembled from fragments when loaded (src/lua/include.ts): every assembled
// script must compile, and what a storage call makes Redis run must be exactly that assembly.
for (const target of targets()) {
  describe(`the Lua scripts (${target.name})`, () => {
    const connection = useRedis(target);

    it('compile on every master, each as one plain script', async () => {
      for (const node of masters(connection.redis)) {
        for (const name of names) {
          expect(await node.script('LOAD', scripts[name].lua), name).toBe(sha1(scripts[name].lua));
        }
      }
    });

    it('run as expanded, with the replies and named codes of their contracts', async () => {
      const { redis, prefix } = connection;
      const calls: string[][] = [];
      const monitors = await Promise.all(masters(redis).map((node) => node.monitor()));
      try {
        for (const monitor of monitors) {
          monitor.on('monitor', (_time: string, args: string[]) => {
            if (/^eval(sha)?$/i.test(args[0] ?? '') && args.some((arg) => arg.startsWith(prefix)))
              calls.push(args);
          });
        }
        const runner = new RedisRunner(redis);
        const context = { operation: 'test' };
        // One hash tag: multi-key scripts need their keys in one cluster slot.
        const [t1, t2, lockKey, unseen, unread, shard, versionKey] = [
          't1',
          't2',
          't1:lock',
          'unseen',
          'unread',
          'acts',
          't1:version',
        ].map((name) => `${prefix}{lua}:${name}`) as [
          string,
          string,
          string,
          string,
          string,
          string,
          string,
        ];
        expect(
          await runner.script(context, 'addMany', [t1, t2], [2, '1', '1', '2', '2', '3', '3']),
        ).toBe(6);
        expect(await redis.zrange(t2, 0, -1)).toEqual(['2', '3']);
        expect(
          await runner.script(
            context,
            'range',
            [t1],
            ['desc', 'member', '-inf', '', '1', '+inf', '', '1', 0, -1],
          ),
        ).toEqual(['3', '2']);
        expect(await runner.script(context, 'lock', [lockKey], ['token', 10_000])).toBe(
          ReplyCode.LOCK_TAKEN,
        );
        expect(await runner.script(context, 'lock', [lockKey], ['other', 10_000])).toBe(
          ReplyCode.LOCK_BUSY,
        );
        expect(
          await runner.script(
            context,
            'commit',
            [t1, lockKey, versionKey],
            ['token', -1, '1', 1, '3', '4', '4'],
          ),
        ).toEqual({ removed: 1, added: 1 });
        expect(await redis.get(versionKey)).toBe('1');
        // Batched write: applied while the version is the one read and no lock is held.
        expect(
          await runner.script(
            context,
            'modifyMany',
            [t1, versionKey, lockKey],
            [-1, 3, '', 5, '1', 0, 2, '5', '5'],
          ),
        ).toEqual(['written']);
        expect(await redis.get(versionKey)).toBe('2');
        expect(
          await runner.script(
            context,
            'modifyMany',
            [t1, versionKey, lockKey],
            [-1, 3, '', 5, '1', 0, 2, '6', '6'],
          ),
        ).toEqual(['changed']);
        expect(await redis.zrange(t1, 0, -1)).toEqual(['2', '4', '5']);
        expect(
          await runner.script(context, 'commit', [t1, lockKey, versionKey], ['token', -1, '1', 0]),
        ).toBe(ReplyCode.LOCK_LOST);
        expect(await runner.script(context, 'lock', [lockKey], ['token', 10_000])).toBe(
          ReplyCode.LOCK_TAKEN,
        );
        expect(await runner.script(context, 'unlock', [lockKey], ['other'])).toBe(
          ReplyCode.NOT_LOCK_OWNER,
        );
        expect(await runner.script(context, 'unlock', [lockKey], ['token'])).toBe(
          ReplyCode.UNLOCKED,
        );
        expect(
          await runner.script(
            context,
            'markers',
            [unseen, unread],
            [10, '', 'feed', '0', '0', 0, 0, 1, 'x', 1, 'x'],
          ),
        ).toEqual({ unseen: 1, unread: 1 });
        expect(await runner.script(context, 'putActivities', [shard], ['1', 'v', ''])).toEqual({
          added: 1,
        });
        expect(await runner.script(context, 'putActivities', [shard], ['1', 'w', ''])).toEqual({
          conflicts: [['1', 'v']],
        });
        // Update in place: only fields that still hold the value read; never creates one.
        expect(await runner.script(context, 'updateActivities', [shard], ['1', 'w', 'v'])).toEqual({
          updated: 1,
        });
        expect(
          await runner.script(context, 'updateActivities', [shard], ['1', 'x', 'v', '2', 'y', 'v']),
        ).toEqual({
          changed: [
            ['1', 'w'],
            ['2', ''],
          ],
        });
        expect(await redis.hgetall(shard)).toEqual({ '1': 'w' });
        // Indexed flat timelines: the entry and its verb index written and trimmed together.
        const [indexed, indexBase] = [`${prefix}{lua}:ix`, `${prefix}{lua}:ix:sfidx:`];
        expect(
          await runner.script(
            context,
            'indexed',
            [indexed],
            ['add', 1, indexBase, 1, 'a', '["v:3"]', 2, 'b', '["v:3"]'],
          ),
        ).toBe(2);
        expect(await redis.zrange(indexed, 0, -1)).toEqual(['b']);
        expect(await redis.zrange(`${indexBase}v:3`, 0, -1)).toEqual(['b']);
        expect(await redis.hgetall(`${indexBase}counts`)).toEqual({ 'v:3': '1' });
        // The cache tier: a fill lands while its token holds; an add reaches complete feeds only.
        const [cached, cacheState] = [`${prefix}{lua}:cached`, `${prefix}{lua}:cached:state`];
        expect(await runner.script(context, 'cacheAdd', [cached, cacheState], [-1, '1', 'x'])).toBe(
          0,
        );
        expect(await redis.exists(cached)).toBe(0);
        await redis.set(cacheState, 'l:tok');
        expect(
          await runner.script(context, 'cacheFill', [cached, cacheState], ['tok', -1, '1', 'x']),
        ).toBe(1);
        expect(await redis.get(cacheState)).toBe('c:tok');
        expect(await runner.script(context, 'cacheAdd', [cached, cacheState], [-1, '2', 'y'])).toBe(
          1,
        );
        expect(await redis.zrange(cached, 0, -1)).toEqual(['x', 'y']);
        // The activity clock's lookup: the ids of each shard hash, nil for never touched.
        const [clockA, clockB] = [`${prefix}{lua}:clock:0`, `${prefix}{lua}:clock:1`];
        await redis.hset(clockA, '7', '1000');
        await redis.hset(clockB, '9', '2000');
        expect(
          await runner.script(context, 'clockRead', [clockA, clockB], [2, '7', '8', 1, '9']),
        ).toEqual(['1000', null, '2000']);

        const expected = new Map(names.map((name) => [sha1(scripts[name].lua), name]));
        // EVALSHA names the script by the SHA of its source; EVAL (after NOSCRIPT) sends the source.
        const ran = () =>
          calls.map(
            (args) =>
              expected.get(/^evalsha$/i.test(args[0]!) ? args[1]! : sha1(unescape(args[1]!))) ??
              `unknown script ${args[1]}`,
          );
        await eventually(() => new Set(ran()).size >= names.length);
        expect(new Set(ran())).toEqual(new Set(names));
      } finally {
        for (const monitor of monitors) monitor.disconnect();
      }
    });
  });
}
