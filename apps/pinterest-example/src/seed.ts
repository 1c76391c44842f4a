import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Activity } from '@sf/activity';
import type { FanoutHandle } from '@sf/manager';
import * as actions from './actions.js';
import { followActivity, pinActivity } from './feeds.js';
import { ProgressBar } from './progress.js';
import { runIfEntry } from './entry.js';
import { ConfigError, configFromEnv, createRuntime } from './runtime.js';
import type { Runtime, RuntimeConfig } from './runtime.js';
import { FIRST, LAST, TOPICS, pick, prng, sampleWeighted } from './seed-data.js';
import { PATTERNS } from './store.js';
import type { Board, Pin, User } from './store.js';

export { prng } from './seed-data.js';

/**
 * Seeding: people with a realistic follow graph (a few accounts with many followers, most with
 * few), boards, pins over the past weeks fanned out through the Manager's batch import, and loves
 * and follows that fill the notification feeds.
 */

export interface SeedOptions {
  users: number;
  pins: number;
  /** How far back pins go (default 4 weeks). */
  weeks?: number;
  /** PRNG seed: the same options give the same world (default 42). */
  seed?: number;
  /** Loves per pin, on average (default 0.6). */
  lovesPerPin?: number;
  now?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface SeedSummary {
  users: number;
  boards: number;
  pins: number;
  follows: number;
  loves: number;
  fanoutTasks: number;
  durationMs: number;
  fanoutMs: number;
  topAccounts: Array<{ id: number; name: string; followers: number }>;
  /** Someone who follows many people: a good first user to act as. */
  suggestedUser: { id: number; name: string; following: number } | undefined;
}

const DAY = 86_400_000;

async function waitAll(
  handles: readonly FanoutHandle[],
  onProgress: (done: number, total: number) => void,
): Promise<void> {
  const total = handles.reduce((sum, handle) => sum + handle.tasks, 0);
  const done = handles.map(() => 0);
  onProgress(0, total);
  await Promise.all(
    handles.map((handle, i) =>
      handle.wait({
        onProgress: (progress) => {
          done[i] = progress.completed;
          onProgress(
            done.reduce((sum, n) => sum + n, 0),
            total,
          );
        },
      }),
    ),
  );
  onProgress(total, total);
}

/** Fills an empty runtime with a small world. */
export async function seed(runtime: Runtime, options: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const random = prng(options.seed ?? 42);
  const now = options.now ?? Date.now();
  const weeks = options.weeks ?? 4;
  const span = weeks * 7 * DAY;
  const report = options.onProgress ?? (() => {});
  const { store, feeds, manager } = runtime;
  const userCount = Math.max(2, options.users);

  // People: unique names and handles, created a little before the first pin.
  const users: User[] = [];
  const names = new Set<string>();
  for (let i = 0; i < userCount; i++) {
    let name = `${pick(random, FIRST)} ${pick(random, LAST)}`;
    for (let n = 2; names.has(name); n++) name = `${name.replace(/ \d+$/, '')} ${n}`;
    names.add(name);
    const handle = `${name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '')
      .slice(0, 16)}${i + 1}`;
    const hue = Math.floor(random() * 360);
    users.push(
      await actions.createUser(runtime, name, handle, hue, now - span - DAY * (1 + random() * 30)),
    );
    report('people', i + 1, userCount);
  }

  // Boards: one to three topics each.
  const boardsOf = new Map<number, Board[]>();
  let boards = 0;
  for (const user of users) {
    const count = 1 + Math.floor(random() * 3);
    const topics = new Set<number>();
    while (topics.size < count) topics.add(Math.floor(random() * TOPICS.length));
    const list: Board[] = [];
    for (const topic of topics)
      list.push(
        await store.createBoard({
          userId: user.id,
          name: TOPICS[topic]!.board,
          createdAt: user.createdAt,
        }),
      );
    boardsOf.set(user.id, list);
    boards += list.length;
  }

  // The follow graph: popularity follows a power law over a random ranking, so a few accounts
  // get many followers and most get a handful; each person follows 2 to ~14 others.
  const ranking = users.map((_, i) => i);
  for (let i = ranking.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ranking[i], ranking[j]] = [ranking[j]!, ranking[i]!];
  }
  const popularity = new Array<number>(users.length);
  ranking.forEach((index, rank) => (popularity[index] = 1 / Math.pow(rank + 1, 1.15)));
  const edges: Array<[number, number]> = [];
  users.forEach((_, i) => {
    const k = Math.min(users.length - 1, 2 + Math.floor(Math.pow(random(), 2) * 12));
    for (const j of sampleWeighted(random, popularity, k, i)) edges.push([i, j]);
  });
  let follows = 0;
  for (const [i, j] of edges) {
    const follower = users[i]!;
    const target = users[j]!;
    if (await store.follow(follower.id, target.id)) {
      follows++;
      const time = now - Math.floor(random() * span);
      await feeds.notification.for(target.id).add(followActivity(follower.id, target.id, time));
    }
    report('follows', follows, edges.length);
  }
  report('follows', edges.length, edges.length);

  // Who was active lately decides fanout priority (HIGH: active in the last week).
  for (const user of users) {
    const recent = random() < 0.45;
    await store.touch(user.id, now - Math.floor((recent ? random() * 6 : 8 + random() * 30) * DAY));
  }

  // Pins over the past weeks, by people who pin a lot or a little.
  const activity = users.map(() => 0.2 + Math.pow(random(), 3) * 3);
  const activityTotal = activity.reduce((sum, w) => sum + w, 0);
  const pinsByAuthor = new Map<number, Pin[]>();
  const allPins: Pin[] = [];
  const pinTimes = Array.from(
    { length: options.pins },
    () => now - Math.floor(Math.pow(random(), 1.3) * span),
  ).sort((a, b) => a - b);
  for (let n = 0; n < options.pins; n++) {
    let r = random() * activityTotal;
    let index = 0;
    while ((r -= activity[index]!) > 0 && index < users.length - 1) index++;
    const author = users[index]!;
    const board = pick(random, boardsOf.get(author.id)!);
    const topic = TOPICS.find((t) => t.board === board.name) ?? TOPICS[0]!;
    const title = `${pick(random, topic.moods)} ${pick(random, topic.things)}`;
    const pin = await store.createPin({
      userId: author.id,
      boardId: board.id,
      title,
      hue: Math.floor(random() * 360),
      pattern: pick(random, PATTERNS),
      createdAt: pinTimes[n]!,
    });
    allPins.push(pin);
    const list = pinsByAuthor.get(author.id) ?? [];
    list.push(pin);
    pinsByAuthor.set(author.id, list);
  }

  // Fanout through the Manager: one batch import per author (stored, added to the user feed,
  // fanned out to every follower's home and grouped feeds).
  const fanoutStarted = performance.now();
  const handles: FanoutHandle[] = [];
  let imported = 0;
  for (const [authorId, pins] of pinsByAuthor) {
    const activities: Activity[] = pins.map(pinActivity);
    handles.push(
      await manager.batchImport(authorId, activities, {
        chunkSize: 100,
        onProgress: (progress) => report('pins', imported + progress.imported, allPins.length),
      }),
    );
    imported += pins.length;
  }
  report('pins', allPins.length, allPins.length);
  await waitAll(handles, (done, total) => report('fanout', done, total));
  const fanoutMs = performance.now() - fanoutStarted;
  const busiest = [...pinsByAuthor.keys()][0] ?? users[0]!.id;
  await store.setLastFanout({
    what: `seed: batch import of ${allPins.length} pins by ${pinsByAuthor.size} people`,
    userId: busiest,
    followers: edges.length,
    tasks: handles.reduce((sum, handle) => sum + handle.tasks, 0),
    durationMs: Math.round(fanoutMs * 100) / 100,
    finishedAt: Date.now(),
  });

  // Imports do not trim: bring every feed back within its maxLength.
  for (const user of users) {
    await feeds.normal.for(user.id).trim();
    await feeds.aggregated.for(user.id).trim();
  }

  // Loves, mostly on pins of people one follows; each notifies the pin's owner.
  const followingOf = new Map<number, number[]>();
  for (const user of users) followingOf.set(user.id, await store.followingIds(user.id));
  const loveTarget = Math.round(options.pins * (options.lovesPerPin ?? 0.6));
  let loves = 0;
  for (let n = 0; n < loveTarget && allPins.length > 0; n++) {
    const lover = pick(random, users);
    const followed = followingOf.get(lover.id) ?? [];
    const candidates =
      followed.length > 0 && random() < 0.85
        ? followed.flatMap((id) => pinsByAuthor.get(id) ?? [])
        : allPins;
    const pin = candidates.length > 0 ? pick(random, candidates) : pick(random, allPins);
    if (pin.userId === lover.id) continue;
    const time = Math.min(now - 60_000, pin.createdAt + Math.floor(random() * 3 * DAY));
    if (await actions.love(runtime, lover, pin, time)) loves++;
    report('loves', n + 1, loveTarget);
  }
  report('loves', loveTarget, loveTarget);

  const followerCounts = await store.followerCounts(users.map((u) => u.id));
  const topAccounts = users
    .map((user) => ({ id: user.id, name: user.name, followers: followerCounts.get(user.id) ?? 0 }))
    .sort((a, b) => b.followers - a.followers || a.id - b.id)
    .slice(0, 3);
  const suggested = users
    .map((user) => ({
      id: user.id,
      name: user.name,
      following: followingOf.get(user.id)?.length ?? 0,
    }))
    .sort((a, b) => b.following - a.following || a.id - b.id)[0];
  await runtime.metrics.flush();
  return {
    users: users.length,
    boards,
    pins: allPins.length,
    follows,
    loves,
    fanoutTasks: handles.reduce((sum, handle) => sum + handle.tasks, 0),
    durationMs: performance.now() - started,
    fanoutMs,
    topAccounts,
    suggestedUser: suggested,
  };
}

export function formatSummary(summary: SeedSummary, runtime: Runtime): string {
  const lines = [
    `Seeded ${summary.users} people, ${summary.boards} boards, ${summary.pins} pins, ${summary.follows} follows and ${summary.loves} loves in ${(summary.durationMs / 1000).toFixed(1)} s`,
    `  fanout: ${summary.fanoutTasks} tasks in ${(summary.fanoutMs / 1000).toFixed(1)} s (${runtime.describe.queue})`,
    `  feeds:  ${runtime.describe.storage}`,
    `  most followed: ${summary.topAccounts.map((a) => `${a.name} (${a.followers})`).join(', ')}`,
  ];
  if (summary.suggestedUser) {
    lines.push(
      `  try acting as ${summary.suggestedUser.name}: follows ${summary.suggestedUser.following} people`,
    );
  }
  return lines.join('\n');
}

/** Where a mode keeps the app's data, for messages. */
function whereStored(config: RuntimeConfig): string {
  return config.storage === 'postgres'
    ? `PostgreSQL schemas ${config.postgres.schema} and ${config.postgres.schema}_queue`
    : `keys ${config.keyPrefix}*, fanout queues ${config.queuePrefix}`;
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new ConfigError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`, {
      path: name,
      value,
    });
  return Number(value);
}

/** `pnpm seed [--users N] [--pins M] [--weeks W] [--reset] [--external-workers]` */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      pins: { type: 'string' },
      weeks: { type: 'string' },
      seed: { type: 'string' },
      reset: { type: 'boolean', default: false },
      'external-workers': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`Usage: pnpm seed [--users N] [--pins M] [--weeks W] [--seed S] [--reset] [--external-workers]

Fills the app's storage (SF_STORAGE=redis|cassandra|postgres; memory mode seeds itself on start) with
people, a follow graph, boards and pins fanned out through the Manager.
  --users N            people (default SF_SEED_USERS or 40)
  --pins M             pins (default SF_SEED_PINS or 400)
  --weeks W            pins go back W weeks (default 4)
  --seed S             the random seed: the same seed gives the same world (default 42)
  --reset              delete the app's existing data first (its keys under SF_KEY_PREFIX, or its
                       PostgreSQL schema, and its fanout queues)
  --external-workers   leave the fanout jobs to running workers (pnpm worker) instead of a worker in this process`);
    return;
  }
  const config = configFromEnv();
  const users = positive(
    values.users,
    '--users',
    positive(process.env.SF_SEED_USERS, 'SF_SEED_USERS', 40),
  );
  const pins = positive(
    values.pins,
    '--pins',
    positive(process.env.SF_SEED_PINS, 'SF_SEED_PINS', 400),
  );
  const weeks = positive(values.weeks, '--weeks', 4);
  const seedValue = positive(values.seed, '--seed', 42);
  const runtime = await createRuntime(config);
  let worker: { close(): Promise<void> } | undefined;
  try {
    if (config.storage === 'memory') {
      console.log(
        'Memory mode: this data lives only in this process (the web server seeds itself on start). Set SF_STORAGE=redis or postgres to seed shared storage.',
      );
    }
    const totals = await runtime.store.totals();
    if (totals.users > 0 && !values.reset) {
      console.error(
        `The app already has ${totals.users} people and ${totals.pins} pins (${whereStored(config)}). Run with --reset to start over.`,
      );
      process.exitCode = 2;
      return;
    }
    if (values.reset) {
      await runtime.reset();
      console.log(`Deleted the existing data (${whereStored(config)}).`);
    }
    if (runtime.backgroundFanout && !values['external-workers']) {
      const { BullmqFanoutQueue } = await import('@sf/manager/bullmq');
      const queue = runtime.manager.queue;
      if (queue instanceof BullmqFanoutQueue) {
        worker = queue.createWorker({ concurrency: 8 });
        await (worker as import('@sf/manager/bullmq').FanoutWorker).waitUntilReady();
        console.log(
          'Started a fanout worker in this process (use --external-workers to rely on `pnpm worker`).',
        );
      }
    } else if (runtime.backgroundFanout) {
      console.log('Waiting for running workers (`pnpm worker`) to take the fanout jobs…');
    }
    console.log(`Seeding ${users} people and ${pins} pins over ${weeks} weeks…`);
    const bar = new ProgressBar();
    const summary = await seed(runtime, {
      users,
      pins,
      weeks,
      seed: seedValue,
      onProgress: (phase, done, total) => bar.update(phase, done, total),
    });
    bar.done();
    console.log(formatSummary(summary, runtime));
  } finally {
    await worker?.close();
    await runtime.close();
  }
}

runIfEntry(import.meta.url, 'seed', main);
