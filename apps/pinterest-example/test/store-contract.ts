import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DomainStore, Pin } from '../src/store.js';

/**
 * The contract of a DomainStore, run against every store: MemoryStore (src/store.test.ts),
 * RedisStore and PostgresStore (test/integration/store-contract.test.ts). `open` makes an empty
 * store of its own (a key prefix or schema of the run); `destroy` deletes what it made.
 */
export interface StoreUnderTest {
  store: DomainStore;
  destroy(): Promise<void>;
}

export function describeDomainStore(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`DomainStore contract: ${name}`, () => {
    let subject: StoreUnderTest | undefined;
    const store = () => subject!.store;

    beforeAll(async () => {
      subject = await open();
    });
    beforeEach(async () => {
      await store().clear();
    });
    afterAll(async () => {
      await subject?.destroy();
    });

    const user = (handle: string, createdAt = 1000) =>
      store().createUser({ name: `Name ${handle}`, handle, hue: 120, createdAt });

    it('creates users with ids from 1 and reads them back, one, several or all', async () => {
      const ada = await user('Ada');
      const bo = await user('bo');
      expect(ada).toEqual({ id: 1, name: 'Name Ada', handle: 'Ada', hue: 120, createdAt: 1000 });
      expect(bo.id).toBe(2);
      expect(await store().getUser(1)).toEqual(ada);
      expect(await store().getUser(99)).toBeUndefined();
      const some = await store().getUsers([2, 99, 1, 2]);
      expect([...some.keys()].sort()).toEqual([1, 2]);
      expect(some.get(2)).toEqual(bo);
      expect(await store().getUsers([])).toEqual(new Map());
      expect(await store().listUsers()).toEqual([ada, bo]);
      expect(await store().findUserByHandle('ada')).toEqual(ada);
      expect(await store().findUserByHandle('BO')).toEqual(bo);
      expect(await store().findUserByHandle('cy')).toBeUndefined();
    });

    it('keeps boards per user, oldest first', async () => {
      const ada = await user('ada');
      const bo = await user('bo');
      const b1 = await store().createBoard({ userId: ada.id, name: 'Kitchen', createdAt: 5 });
      const b2 = await store().createBoard({ userId: bo.id, name: 'Garden', createdAt: 6 });
      const b3 = await store().createBoard({ userId: ada.id, name: 'Harbours', createdAt: 7 });
      expect(b1).toEqual({ id: 1, userId: ada.id, name: 'Kitchen', createdAt: 5 });
      expect(await store().getBoard(b2.id)).toEqual(b2);
      expect(await store().getBoard(42)).toBeUndefined();
      expect([...(await store().getBoards([b3.id, b1.id])).values()]).toHaveLength(2);
      expect(await store().listBoards(ada.id)).toEqual([b1, b3]);
      expect(await store().listBoards(99)).toEqual([]);
    });

    it('lists a board’s pins newest first, by time then id, and pages with `before`', async () => {
      const ada = await user('ada');
      const board = await store().createBoard({ userId: ada.id, name: 'B', createdAt: 1 });
      const other = await store().createBoard({ userId: ada.id, name: 'C', createdAt: 1 });
      const pins: Pin[] = [];
      for (const createdAt of [100, 300, 200, 300, 50]) {
        pins.push(
          await store().createPin({
            userId: ada.id,
            boardId: board.id,
            title: `at ${createdAt}`,
            hue: 10,
            pattern: 'dots',
            createdAt,
          }),
        );
      }
      await store().createPin({
        userId: ada.id,
        boardId: other.id,
        title: 'elsewhere',
        hue: 1,
        pattern: 'waves',
        createdAt: 400,
      });
      expect(pins[0]).toEqual({
        id: 1,
        userId: ada.id,
        boardId: board.id,
        title: 'at 100',
        hue: 10,
        pattern: 'dots',
        createdAt: 100,
      });
      const ids = (list: Pin[]) => list.map((pin) => pin.id);
      expect(ids(await store().listBoardPins(board.id, { limit: 10 }))).toEqual([4, 2, 3, 1, 5]);
      expect(ids(await store().listBoardPins(board.id, { limit: 2 }))).toEqual([4, 2]);
      // Same millisecond: the lower id comes after.
      expect(ids(await store().listBoardPins(board.id, { limit: 2, before: pins[3]! }))).toEqual([
        2, 3,
      ]);
      expect(ids(await store().listBoardPins(board.id, { limit: 10, before: pins[0]! }))).toEqual([
        5,
      ]);
      expect(await store().countBoardPins([board.id, other.id, 99])).toEqual(
        new Map([
          [board.id, 5],
          [other.id, 1],
          [99, 0],
        ]),
      );
      expect(await store().getPin(3)).toEqual(pins[2]);
      expect([...(await store().getPins([5, 77, 1])).keys()].sort()).toEqual([1, 5]);
    });

    it('deletes a pin with its loves, once', async () => {
      const ada = await user('ada');
      const bo = await user('bo');
      const board = await store().createBoard({ userId: ada.id, name: 'B', createdAt: 1 });
      const pin = await store().createPin({
        userId: ada.id,
        boardId: board.id,
        title: 'T',
        hue: 1,
        pattern: 'rings',
        createdAt: 10,
      });
      expect(await store().love(bo.id, pin.id)).toBe(true);
      expect(await store().love(bo.id, pin.id)).toBe(false);
      expect(await store().love(ada.id, pin.id)).toBe(true);
      expect(await store().loveCounts([pin.id, 99])).toEqual(
        new Map([
          [pin.id, 2],
          [99, 0],
        ]),
      );
      expect(await store().lovedBy(bo.id, [pin.id, 99])).toEqual(new Set([pin.id]));
      expect(await store().lovedBy(bo.id, [])).toEqual(new Set());
      expect((await store().totals()).loves).toBe(2);
      const renamed = await store().renamePin(pin.id, 'Renamed pin');
      expect(renamed).toEqual({ ...(await store().getPin(pin.id)), title: 'Renamed pin' });
      expect((await store().getPin(pin.id))?.title).toBe('Renamed pin');
      expect(await store().deletePin(pin.id)).toBe(true);
      expect(await store().deletePin(pin.id)).toBe(false);
      expect(await store().renamePin(pin.id, 'Gone')).toBeUndefined();
      expect(await store().getPin(pin.id)).toBeUndefined();
      expect(await store().listBoardPins(board.id, { limit: 5 })).toEqual([]);
      expect(await store().loveCounts([pin.id])).toEqual(new Map([[pin.id, 0]]));
      expect(await store().totals()).toEqual({
        users: 2,
        boards: 1,
        pins: 0,
        follows: 0,
        loves: 0,
      });
    });

    it('follows and unfollows, reporting whether anything changed', async () => {
      const [a, b, c] = [await user('a'), await user('b'), await user('c')];
      expect(await store().follow(c.id, a.id)).toBe(true);
      expect(await store().follow(b.id, a.id)).toBe(true);
      expect(await store().follow(b.id, a.id)).toBe(false);
      expect(await store().follow(b.id, c.id)).toBe(true);
      expect(await store().followerIds(a.id)).toEqual([b.id, c.id]);
      expect(await store().followingIds(b.id)).toEqual([a.id, c.id]);
      expect(await store().followingCount(b.id)).toBe(2);
      expect(await store().followingCount(a.id)).toBe(0);
      expect(await store().followsOf(b.id, [a.id, b.id, c.id])).toEqual(new Set([a.id, c.id]));
      expect(await store().followsOf(b.id, [])).toEqual(new Set());
      expect(await store().followerCounts([a.id, b.id, c.id])).toEqual(
        new Map([
          [a.id, 2],
          [b.id, 0],
          [c.id, 1],
        ]),
      );
      expect((await store().totals()).follows).toBe(3);
      expect(await store().unfollow(b.id, a.id)).toBe(true);
      expect(await store().unfollow(b.id, a.id)).toBe(false);
      expect(await store().followerIds(a.id)).toEqual([c.id]);
      expect((await store().totals()).follows).toBe(2);
    });

    it('remembers when people were last active', async () => {
      await store().touch(1, 500);
      await store().touch(2, 700);
      await store().touch(1, 900);
      expect(await store().lastActive([1, 2, 3])).toEqual(
        new Map([
          [1, 900],
          [2, 700],
        ]),
      );
      expect(await store().lastActive([])).toEqual(new Map());
    });

    it('adds and sets stats counters, and keeps the last fanout', async () => {
      expect(await store().readStats()).toEqual({});
      await store().addStats({ 'fanout_tasks.normal': 2, published: 1 });
      await store().addStats({ 'fanout_tasks.normal': 3, 'ms.sum': 1.5 }, { 'entries.max': 40 });
      await store().addStats({}, { 'entries.max': 12 });
      expect(await store().readStats()).toEqual({
        'fanout_tasks.normal': 5,
        published: 1,
        'ms.sum': 1.5,
        'entries.max': 12,
      });
      expect(await store().getLastFanout()).toBeUndefined();
      const info = {
        what: 'pin 3',
        pinId: 3,
        userId: 1,
        followers: 12,
        tasks: 4,
        durationMs: 12.5,
        finishedAt: 1_700_000_000_000,
      };
      await store().setLastFanout(info);
      await store().setLastFanout({ ...info, tasks: 5 });
      expect(await store().getLastFanout()).toEqual({ ...info, tasks: 5 });
    });

    it('clear() deletes everything and starts the ids over', async () => {
      const ada = await user('ada');
      const board = await store().createBoard({ userId: ada.id, name: 'B', createdAt: 1 });
      await store().createPin({
        userId: ada.id,
        boardId: board.id,
        title: 'T',
        hue: 1,
        pattern: 'peaks',
        createdAt: 1,
      });
      await store().follow(2, ada.id);
      await store().touch(ada.id, 5);
      await store().addStats({ x: 1 });
      await store().setLastFanout({
        what: 'w',
        userId: 1,
        followers: 0,
        tasks: 0,
        durationMs: 0,
        finishedAt: 0,
      });
      await store().clear();
      expect(await store().totals()).toEqual({
        users: 0,
        boards: 0,
        pins: 0,
        follows: 0,
        loves: 0,
      });
      expect(await store().listUsers()).toEqual([]);
      expect(await store().findUserByHandle('ada')).toBeUndefined();
      expect(await store().followerIds(ada.id)).toEqual([]);
      expect(await store().lastActive([ada.id])).toEqual(new Map());
      expect(await store().readStats()).toEqual({});
      expect(await store().getLastFanout()).toBeUndefined();
      expect((await user('again')).id).toBe(1);
    });
  });
}
