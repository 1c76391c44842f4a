import { performance } from 'node:perf_hooks';
import type { FanoutHandle } from '@sf/manager';
import {
  followActivity,
  legacyPinActivity,
  loveActivity,
  pinActivity,
  pinForeignId,
} from './feeds.js';
import type { Runtime } from './runtime.js';
import type { Board, Pattern, Pin, User } from './store.js';
import { HttpError, badRequest, forbidden, notFound } from './validation.js';

/**
 * What people do in the app, each step through the library: the domain store records the fact,
 * the Manager fans it out, the notification feed tells the person it concerns.
 */

export interface NewPin {
  boardId: number;
  title: string;
  hue: number;
  pattern: Pattern;
  time?: number;
}

/**
 * Fanouts being timed per runtime. With BullMQ, `wait()` polls Redis until the jobs are done,
 * which may be never when no worker runs: only this many are timed at once.
 */
const MAX_TRACKED = 16;
const tracking = new WeakMap<Runtime, number>();

/** Starts tracking a fanout's end-to-end duration (for the stats page), without blocking the caller. */
function trackFanout(
  runtime: Runtime,
  pin: Pin,
  handle: FanoutHandle,
  started: number,
  followers: number,
): Promise<void> {
  const inFlight = tracking.get(runtime) ?? 0;
  if (inFlight >= MAX_TRACKED) return Promise.resolve();
  tracking.set(runtime, inFlight + 1);
  const done = () => tracking.set(runtime, Math.max(0, (tracking.get(runtime) ?? 1) - 1));
  const epoch = runtime.epoch;
  const record = (failed?: string) =>
    runtime.epoch !== epoch
      ? Promise.resolve()
      : runtime.store.setLastFanout({
          what: `pin #${pin.id}`,
          pinId: pin.id,
          userId: pin.userId,
          followers,
          tasks: handle.tasks,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          finishedAt: Date.now(),
          ...(failed === undefined ? {} : { failed }),
        });
  return handle
    .wait()
    .finally(done)
    .then(
      () => record(),
      (error: unknown) => record(error instanceof Error ? error.message : String(error)),
    );
}

export interface PinResult {
  pin: Pin;
  /** Resolves when the fanout finished (at once in memory mode). */
  fanout: Promise<void>;
}

/** Creates a pin on one of the user's boards and fans it out to their followers. */
export async function createPin(runtime: Runtime, user: User, input: NewPin): Promise<PinResult> {
  const board = await runtime.store.getBoard(input.boardId);
  if (!board) throw notFound(`There is no board with id ${input.boardId}.`);
  if (board.userId !== user.id)
    throw forbidden(
      `The board “${board.name}” belongs to someone else; pick one of your own boards.`,
    );
  const pin = await runtime.store.createPin({
    userId: user.id,
    boardId: board.id,
    title: input.title,
    hue: input.hue,
    pattern: input.pattern,
    createdAt: input.time ?? Date.now(),
  });
  const started = performance.now();
  const followers = (await runtime.store.followerCounts([user.id])).get(user.id) ?? 0;
  const handle = await runtime.manager.addUserActivity(user.id, pinActivity(pin));
  const fanout = trackFanout(runtime, pin, handle, started, followers).catch(() => undefined);
  return { pin, fanout };
}

/**
 * Deletes one of the user's pins and removes it from every feed it was fanned out to, by its
 * foreign id `pin:<id>` (pins written before foreign ids are removed by their activity).
 */
export async function deletePin(runtime: Runtime, user: User, pinId: number): Promise<Pin> {
  const pin = await runtime.store.getPin(pinId);
  if (!pin) throw notFound(`There is no pin with id ${pinId}.`);
  if (pin.userId !== user.id) throw forbidden('You can only delete your own pins.');
  await runtime.store.deletePin(pin.id);
  const byForeignId = await runtime.manager.removeActivityByForeignId(
    user.id,
    pinForeignId(pin.id),
  );
  const handle =
    byForeignId.activities.length > 0
      ? byForeignId
      : await runtime.manager.removeUserActivity(user.id, legacyPinActivity(pin));
  if (!runtime.backgroundFanout) await handle.wait();
  return pin;
}

/**
 * Renames one of the user's pins: the store records the new title, then the pin's activity is
 * updated in place (`Manager.updateActivity`, the title is in its extraContext): every feed that
 * holds it shows the new version, in the same position, with no new fanout where feeds hold ids
 * (memory, Redis, PostgreSQL) and a batched re-fanout where they hold copies (Cassandra).
 */
export async function renamePin(
  runtime: Runtime,
  user: User,
  pinId: number,
  title: string,
): Promise<Pin> {
  const pin = await runtime.store.getPin(pinId);
  if (!pin) throw notFound(`There is no pin with id ${pinId}.`);
  if (pin.userId !== user.id) throw forbidden('You can only rename your own pins.');
  const renamed = await runtime.store.renamePin(pin.id, title);
  if (!renamed) throw notFound(`There is no pin with id ${pinId}.`);
  const handle = await runtime.manager.updateActivity(pinActivity(renamed));
  if (!runtime.backgroundFanout) await handle.wait();
  return renamed;
}

/** Creates a board for the user (names are unique per user, ignoring case). */
export async function createBoard(runtime: Runtime, user: User, name: string): Promise<Board> {
  const boards = await runtime.store.listBoards(user.id);
  if (boards.some((board) => board.name.toLowerCase() === name.toLowerCase())) {
    throw new HttpError(
      409,
      `You already have a board called “${name}”.`,
      undefined,
      'BOARD_EXISTS',
    );
  }
  if (boards.length >= 50) throw badRequest('You have 50 boards already; that is the limit.');
  return runtime.store.createBoard({ userId: user.id, name, createdAt: Date.now() });
}

/**
 * Follows a user: records it, copies their recent pins into the follower's feeds right away (the
 * Manager's follow, so the home feed changes at once) and notifies them.
 */
export async function follow(
  runtime: Runtime,
  user: User,
  target: User,
  time = Date.now(),
): Promise<boolean> {
  if (user.id === target.id) throw badRequest('You cannot follow yourself.');
  const added = await runtime.store.follow(user.id, target.id);
  if (!added) return false;
  await runtime.manager.followUser(user.id, target.id);
  await runtime.feeds.notification.for(target.id).add(followActivity(user.id, target.id, time));
  return true;
}

/** Unfollows a user: their pins leave the follower's home and grouped feeds at once. */
export async function unfollow(runtime: Runtime, user: User, target: User): Promise<boolean> {
  if (user.id === target.id) throw badRequest('You cannot unfollow yourself.');
  const removed = await runtime.store.unfollow(user.id, target.id);
  if (!removed) return false;
  await runtime.manager.unfollowUser(user.id, target.id);
  return true;
}

/** Loves a pin and tells its owner (loving your own pin notifies nobody). */
export async function love(
  runtime: Runtime,
  user: User,
  pin: Pin,
  time = Date.now(),
): Promise<boolean> {
  const added = await runtime.store.love(user.id, pin.id);
  if (added && pin.userId !== user.id) {
    await runtime.feeds.notification.for(pin.userId).add(loveActivity(user.id, pin, time));
  }
  return added;
}

/** Creates a person with a first board (the "join" form and the seed). */
export async function createUser(
  runtime: Runtime,
  name: string,
  handle: string,
  hue: number,
  time = Date.now(),
): Promise<User> {
  if (await runtime.store.findUserByHandle(handle))
    throw new HttpError(409, `The handle @${handle} is taken.`, undefined, 'HANDLE_TAKEN');
  const user = await runtime.store.createUser({ name, handle, hue, createdAt: time });
  await runtime.store.touch(user.id, time);
  return user;
}
