import { PATTERNS } from './store.js';
import type { Board, DomainStore, Pin, User } from './store.js';

/**
 * The app's records as stored can be corrupt (a hand-edited Redis hash, a bad migration, an old
 * process): a `createdAt` that is no date, a missing title, a number that is not one. Pages read
 * every user, board and pin through `checkedStore`, which skips such a record as if it were
 * missing and reports it, so one bad record never breaks a page that lists it.
 */

export type RecordKind = 'user' | 'board' | 'pin';

/** A stored record that was skipped because it cannot be shown. */
export interface CorruptRecord {
  kind: RecordKind;
  id: number;
  /** What is wrong, e.g. `createdAt is not a date (NaN)`. */
  problems: string[];
}

const MAX_TIME = 8.64e15;

function shownValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}

function checkId(problems: string[], record: object, field: string): void {
  const value = (record as Record<string, unknown>)[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    problems.push(`${field} is not a positive whole number (${shownValue(value)})`);
}

function checkText(problems: string[], record: object, field: string, allowEmpty = false): void {
  const value = (record as Record<string, unknown>)[field];
  if (typeof value !== 'string' || (!allowEmpty && value.trim() === ''))
    problems.push(
      `${field} is ${typeof value === 'string' ? 'empty' : `not text (${shownValue(value)})`}`,
    );
}

function checkNumber(problems: string[], record: object, field: string): void {
  const value = (record as Record<string, unknown>)[field];
  if (typeof value !== 'number' || !Number.isFinite(value))
    problems.push(`${field} is not a number (${shownValue(value)})`);
}

function checkTime(problems: string[], record: object, field: string): void {
  const value = (record as Record<string, unknown>)[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_TIME)
    problems.push(`${field} is not a date (${shownValue(value)})`);
}

/** What is wrong with a user record (empty when it can be shown). */
export function userProblems(user: User): string[] {
  const problems: string[] = [];
  checkId(problems, user, 'id');
  checkText(problems, user, 'name');
  checkText(problems, user, 'handle', true);
  checkNumber(problems, user, 'hue');
  checkTime(problems, user, 'createdAt');
  return problems;
}

/** What is wrong with a board record (empty when it can be shown). */
export function boardProblems(board: Board): string[] {
  const problems: string[] = [];
  checkId(problems, board, 'id');
  checkId(problems, board, 'userId');
  checkText(problems, board, 'name');
  checkTime(problems, board, 'createdAt');
  return problems;
}

/** What is wrong with a pin record (empty when it can be shown). */
export function pinProblems(pin: Pin): string[] {
  const problems: string[] = [];
  checkId(problems, pin, 'id');
  checkId(problems, pin, 'userId');
  checkId(problems, pin, 'boardId');
  checkText(problems, pin, 'title');
  checkNumber(problems, pin, 'hue');
  if (!(PATTERNS as readonly unknown[]).includes(pin.pattern))
    problems.push(`pattern is not one of ${PATTERNS.join(', ')} (${shownValue(pin.pattern)})`);
  checkTime(problems, pin, 'createdAt');
  return problems;
}

type Check<T> = (record: T) => string[];

/**
 * The store with every user, board and pin it reads checked: a corrupt record is left out (single
 * reads answer `undefined`, lists and maps omit it) and passed to `onCorrupt`. Writes and
 * everything else go straight to `store`.
 */
export function checkedStore(
  store: DomainStore,
  onCorrupt: (record: CorruptRecord) => void,
): DomainStore {
  function keep<T extends { id: number }>(
    kind: RecordKind,
    check: Check<T>,
    record: T | undefined,
  ) {
    if (record === undefined) return undefined;
    const problems = check(record);
    if (problems.length === 0) return record;
    onCorrupt({ kind, id: record.id, problems });
    return undefined;
  }
  const one =
    <T extends { id: number }>(kind: RecordKind, check: Check<T>) =>
    (record: T | undefined) =>
      keep(kind, check, record);
  const list =
    <T extends { id: number }>(kind: RecordKind, check: Check<T>) =>
    (records: T[]) =>
      records.filter((record) => keep(kind, check, record) !== undefined);
  const map =
    <T extends { id: number }>(kind: RecordKind, check: Check<T>) =>
    (records: Map<number, T>) => {
      for (const [id, record] of records) if (!keep(kind, check, record)) records.delete(id);
      return records;
    };
  const user = one('user', userProblems);
  const board = one('board', boardProblems);
  const pin = one('pin', pinProblems);
  const checked: Partial<DomainStore> = {
    getUser: (id) => store.getUser(id).then(user),
    getUsers: (ids) => store.getUsers(ids).then(map('user', userProblems)),
    listUsers: () => store.listUsers().then(list('user', userProblems)),
    findUserByHandle: (handle) => store.findUserByHandle(handle).then(user),
    getBoard: (id) => store.getBoard(id).then(board),
    getBoards: (ids) => store.getBoards(ids).then(map('board', boardProblems)),
    listBoards: (userId) => store.listBoards(userId).then(list('board', boardProblems)),
    getPin: (id) => store.getPin(id).then(pin),
    getPins: (ids) => store.getPins(ids).then(map('pin', pinProblems)),
    listBoardPins: (boardId, options) =>
      store.listBoardPins(boardId, options).then(list('pin', pinProblems)),
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      const own = (checked as Record<PropertyKey, unknown>)[property];
      if (own !== undefined) return own;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
