import { describe, expect, it } from 'vitest';
import {
  FailureSummary,
  errorClassOf,
  mergeFailureSnapshots,
  normaliseMessage,
} from './failure-log.js';

class StorageError extends Error {}
class ReplyError extends Error {}

const moved = (slot: number, node = '127.0.0.1:7104') =>
  new StorageError(`Redis timeline.addToMany failed: MOVED ${slot} ${node}`, {
    cause: new ReplyError(`MOVED ${slot} ${node}`),
  });

describe('FailureSummary', () => {
  it('counts failures per kind: class chain and message without slot numbers or keys', () => {
    const summary = new FailureSummary();
    expect(summary.record(moved(9176), Date.UTC(2026, 0, 1, 0, 0, 0)).first).toBe(true);
    expect(summary.record(moved(12), Date.UTC(2026, 0, 1, 0, 0, 5)).first).toBe(false);
    expect(summary.record(new Error('Connection is closed.')).first).toBe(true);
    const snapshot = summary.snapshot();
    expect(snapshot.total).toBe(3);
    expect(snapshot.kinds).toHaveLength(2);
    expect(snapshot.kinds[0]).toEqual({
      errorClass: 'StorageError < ReplyError',
      message: 'Redis timeline.addToMany failed: MOVED <slot> 127.0.0.1:7104',
      example: 'Redis timeline.addToMany failed: MOVED 9176 127.0.0.1:7104',
      count: 2,
      first: '2026-01-01T00:00:00.000Z',
      last: '2026-01-01T00:00:05.000Z',
    });
    expect(snapshot.kinds[1]).toMatchObject({
      errorClass: 'Error',
      message: 'Connection is closed.',
      count: 1,
    });
  });

  it('describes at most maxKinds kinds and counts the others', () => {
    const summary = new FailureSummary({ maxKinds: 2 });
    for (const text of ['a', 'b', 'c', 'd', 'a']) summary.record(new Error(text));
    const snapshot = summary.snapshot();
    expect(snapshot.total).toBe(5);
    expect(snapshot.kinds.map((kind) => [kind.message, kind.count])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(snapshot.otherKinds).toBe(2);
  });

  it('merges snapshots of several workers', () => {
    const one = new FailureSummary();
    const two = new FailureSummary();
    one.record(moved(1), Date.UTC(2026, 0, 1, 0, 0, 3));
    two.record(moved(2), Date.UTC(2026, 0, 1, 0, 0, 1));
    two.record(moved(3), Date.UTC(2026, 0, 1, 0, 0, 9));
    two.record(new Error('other'));
    const merged = mergeFailureSnapshots([one.snapshot(), two.snapshot()]);
    expect(merged.total).toBe(4);
    expect(merged.kinds[0]).toMatchObject({
      count: 3,
      first: '2026-01-01T00:00:01.000Z',
      last: '2026-01-01T00:00:09.000Z',
      example: 'Redis timeline.addToMany failed: MOVED 2 127.0.0.1:7104',
    });
  });
});

describe('normaliseMessage and errorClassOf', () => {
  it('replaces what changes from call to call', () => {
    expect(normaliseMessage('ASK 77 10.0.0.1:6379')).toBe('ASK <slot> 10.0.0.1:6379');
    expect(normaliseMessage('Redis timeline.add on "sf:feed:123" failed: WRONGTYPE')).toBe(
      'Redis timeline.add on "…" failed: WRONGTYPE',
    );
    expect(normaliseMessage('job 13732667550010000000042003 lost')).toBe('job <n> lost');
    expect(normaliseMessage('x'.repeat(500))).toHaveLength(300);
  });

  it('names the class chain, and non-errors by type', () => {
    expect(errorClassOf(moved(1))).toBe('StorageError < ReplyError');
    expect(errorClassOf(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe('AbortError');
    expect(errorClassOf('text')).toBe('string');
  });
});
