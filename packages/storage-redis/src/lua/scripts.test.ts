import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RedisLockError, RedisReplyError } from '../errors.js';
import { RedisRunner, type RedisClient } from '../redis-runner.js';
import { ReplyCode, codesFragment, lockError } from './codes.js';
import { fragments } from './fragments.js';
import { expandIncludes } from './include.js';
import * as addManyModule from './add-many-n.js';
import * as cacheAddModule from './cache-add-n.js';
import * as cacheFillModule from './cache-fill-2.js';
import * as clockReadModule from './clock-read-n.js';
import * as commitModule from './commit-3.js';
import * as indexedModule from './indexed-n.js';
import * as lockModule from './lock-1.js';
import * as markersModule from './markers-2.js';
import * as modifyManyModule from './modify-many-n.js';
import * as putActivitiesModule from './put-activities-1.js';
import * as updateActivitiesModule from './update-activities-1.js';
import * as rangeModule from './range-1.js';
import type { LuaScript } from './script.js';
import * as unlockModule from './unlock-1.js';
import { type ScriptName, scriptReply, scripts } from './scripts.js';

const names = Object.keys(scripts) as ScriptName[];

describe('--@include', () => {
  const parts = {
    a: 'local a = 1',
    b: '--@include "a"\nlocal b = a',
    c: '--@include "c"\nlocal c = 3',
  };

  it('replaces an include line by the fragment, once per script, nested includes first', () => {
    expect(expandIncludes('t', '--@include "b"\n  --@include "a"\nreturn b', parts)).toBe(
      'local a = 1\nlocal b = a\n\nreturn b',
    );
  });

  it('ends a fragment that includes itself', () => {
    expect(expandIncludes('t', '--@include "c"\nreturn c', parts)).toBe('\nlocal c = 3\nreturn c');
  });

  it('refuses an unknown fragment and a malformed include, naming the script', () => {
    expect(() => expandIncludes('sfXV1', '--@include "nope"', parts)).toThrow(
      /sfXV1: the script includes the unknown fragment "nope"/,
    );
    expect(() => expandIncludes('sfXV1', '--@include a', parts)).toThrow(
      /sfXV1: the script has a malformed include: --@include a/,
    );
    expect(() => expandIncludes('sfXV1', 'local x = 1 --@include "a"', parts)).toThrow(
      /malformed include/,
    );
  });
});

describe('the scripts', () => {
  it('are expanded when loaded: no include is left, each fragment is in once where included', () => {
    for (const name of names) {
      const { lua, source } = scripts[name];
      expect(lua).not.toContain('--@include');
      for (const [fragment, text] of Object.entries(fragments)) {
        const count = lua.split(text).length - 1;
        expect(count, `${name} holds fragment ${fragment}`).toBe(
          source.includes(`--@include "${fragment}"`) ? 1 : 0,
        );
      }
    }
  });

  it('share the trim block instead of repeating it', () => {
    for (const name of ['addMany', 'commit', 'modifyMany'] as const) {
      expect(scripts[name].source).not.toContain('ZREMRANGEBYRANK');
      expect(scripts[name].lua.match(/ZREMRANGEBYRANK/g)).toHaveLength(1);
    }
  });

  it('return codes by name, declared once in codes.ts', () => {
    expect(codesFragment).toBe(
      'local LOCK_TAKEN = 1\nlocal LOCK_BUSY = 0\nlocal LOCK_LOST = -1\nlocal UNLOCKED = 1\nlocal NOT_LOCK_OWNER = 0',
    );
    for (const name of ['lock', 'unlock', 'commit'] as const) {
      expect(scripts[name].source, name).not.toMatch(/return -?\d/);
      expect(scripts[name].lua, name).toContain(codesFragment);
    }
  });

  it('follow the <name>-<keys>.ts file convention, one script per file, under unchanged versioned names', () => {
    const modules: Record<string, Record<string, unknown>> = {
      'add-many-n.ts': addManyModule,
      'cache-add-n.ts': cacheAddModule,
      'cache-fill-2.ts': cacheFillModule,
      'clock-read-n.ts': clockReadModule,
      'commit-3.ts': commitModule,
      'indexed-n.ts': indexedModule,
      'lock-1.ts': lockModule,
      'markers-2.ts': markersModule,
      'modify-many-n.ts': modifyManyModule,
      'put-activities-1.ts': putActivitiesModule,
      'range-1.ts': rangeModule,
      'unlock-1.ts': unlockModule,
      'update-activities-1.ts': updateActivitiesModule,
    };
    const files = readdirSync(new URL('.', import.meta.url)).filter((file) =>
      /^[a-z-]+-(\d+|n)\.ts$/.test(file),
    );
    expect(files.sort()).toEqual(Object.keys(modules).sort());
    const found: string[] = [];
    for (const file of files) {
      const defined = Object.values(modules[file]!).filter(
        (value): value is LuaScript<unknown> =>
          typeof value === 'object' && value !== null && 'source' in value,
      );
      expect(defined, file).toHaveLength(1);
      expect(String(defined[0]!.keys), file).toBe(/-(\d+|n)\.ts$/.exec(file)![1]);
      found.push(defined[0]!.name);
    }
    expect(found.sort()).toEqual(names.map((name) => scripts[name].name).sort());
    expect(found).toEqual([
      'sfAddManyV1',
      'sfCacheAddV1',
      'sfCacheFillV1',
      'sfClockReadV1',
      'sfCommitV2',
      'sfIndexedV1',
      'sfLockV1',
      'sfMarkersV1',
      'sfModifyManyV1',
      'sfPutActivitiesV1',
      'sfRangeV1',
      'sfUnlockV1',
      'sfUpdateActivitiesV1',
    ]);
  });

  it('are registered on a client as expanded, the source Redis runs', () => {
    const defined = new Map<string, string>();
    const client = {
      defineCommand(name: string, definition: { lua: string }) {
        defined.set(name, definition.lua);
      },
    };
    new RedisRunner(client as unknown as RedisClient);
    expect(defined).toEqual(new Map(names.map((name) => [scripts[name].name, scripts[name].lua])));
  });
});

describe('replies', () => {
  const context = { operation: 'test', key: 'k' };

  it('are typed, named codes included', () => {
    expect(scriptReply('lock', 1, context)).toBe(ReplyCode.LOCK_TAKEN);
    expect(scriptReply('lock', 0, context)).toBe(ReplyCode.LOCK_BUSY);
    expect(scriptReply('commit', -1, context)).toBe(ReplyCode.LOCK_LOST);
    expect(scriptReply('commit', [2, 3], context)).toEqual({ removed: 2, added: 3 });
    expect(scriptReply('putActivities', 4, context)).toEqual({ added: 4 });
    expect(scriptReply('putActivities', ['1', 'a', '2', 'b'], context)).toEqual({
      conflicts: [
        ['1', 'a'],
        ['2', 'b'],
      ],
    });
    expect(scriptReply('updateActivities', 2, context)).toEqual({ updated: 2 });
    expect(scriptReply('updateActivities', ['1', '', '2', 'b'], context)).toEqual({
      changed: [
        ['1', ''],
        ['2', 'b'],
      ],
    });
    expect(scriptReply('markers', [1, 2], context)).toEqual({ unseen: 1, unread: 2 });
    expect(scriptReply('range', ['1', '2'], context)).toEqual(['1', '2']);
    expect(scriptReply('addMany', 7, context)).toBe(7);
    expect(scriptReply('modifyMany', [0, 2, 1, [2, 3]], context)).toEqual([
      'changed',
      'locked',
      'written',
      { unseen: 2, unread: 3 },
    ]);
  });

  it('of another shape are a RedisReplyError naming the script', () => {
    for (const [name, raw] of [
      ['lock', 2],
      ['commit', 'OK'],
      ['putActivities', ['1']],
      ['updateActivities', ['1', 2]],
      ['markers', [1]],
      ['range', [1]],
      ['addMany', null],
      ['modifyMany', [3]],
    ] as const) {
      expect(() => scriptReply(name, raw, context), name).toThrow(RedisReplyError);
      expect(() => scriptReply(name, raw, context), name).toThrow(
        `from ${scripts[name].name}, got`,
      );
    }
  });

  it('lock codes end in RedisLockError, their message made in one place', () => {
    const lock = { ttl: 100, acquireTimeout: 50, retryDelay: 1, maxRetryDelay: 2, attempts: 3 };
    const busy = lockError(ReplyCode.LOCK_BUSY, 'l', lock);
    expect(busy).toBeInstanceOf(RedisLockError);
    expect(busy.message).toBe('could not take the lock "l" within 50 ms (another writer holds it)');
    expect(lockError(ReplyCode.LOCK_LOST, 'l', lock).message).toBe(
      'lost the lock "l" 3 times before writing (lock.ttl 100 ms too short?)',
    );
  });
});
