/**
 * Compares every follower feed with the producer's ledger, and reads the queue's job records.
 */
import { readFileSync } from 'node:fs';
import { forEachLimited } from '@sf/feeds/backend';
import type { FanoutPriority } from '@sf/manager';
import type { DrillApp } from './app.js';

export interface LedgerEntry {
  id: string;
  author: number;
  followers: number[];
  tasks: number;
}

export function readLedger(file: string): LedgerEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LedgerEntry);
}

export interface FeedCheck {
  feeds: number;
  expected: number;
  found: number;
  missing: number;
  /** Entries beyond one per activity: members count above distinct ids, or a group present twice. */
  duplicated: number;
  /** Entries of activities the ledger does not send to that feed. */
  unexpected: number;
  /** Examples of wrong feeds, for the report. */
  examples: string[];
}

/** What each user's feed must hold, from the ledger. */
export function expectedByUser(ledger: readonly LedgerEntry[]): Map<number, Set<string>> {
  const expected = new Map<number, Set<string>>();
  for (const entry of ledger) {
    for (const follower of entry.followers) {
      let ids = expected.get(follower);
      if (!ids) expected.set(follower, (ids = new Set()));
      ids.add(entry.id);
    }
  }
  return expected;
}

function tally(
  check: FeedCheck,
  user: number,
  want: Set<string>,
  ids: string[],
  stored: number,
  extraDuplicates = 0,
): void {
  check.feeds++;
  check.expected += want.size;
  const distinct = new Set(ids);
  let found = 0;
  let unexpected = 0;
  for (const id of distinct) {
    if (want.has(id)) found++;
    else unexpected++;
  }
  const duplicated = stored - distinct.size + extraDuplicates;
  const missing = want.size - found;
  check.found += found;
  check.missing += missing;
  check.duplicated += duplicated;
  check.unexpected += unexpected;
  if ((missing || duplicated || unexpected) && check.examples.length < 5) {
    check.examples.push(
      `user ${user}: missing ${missing}, duplicated ${duplicated}, unexpected ${unexpected}`,
    );
  }
}

/** A check that has seen no feed yet. */
export function emptyCheck(): FeedCheck {
  return {
    feeds: 0,
    expected: 0,
    found: 0,
    missing: 0,
    duplicated: 0,
    unexpected: 0,
    examples: [],
  };
}

/**
 * Reads every user's flat feed (the stored ids, no hydration) and its member count, and compares
 * them with the ledger. `users` should cover every user (followers and non-followers alike).
 */
export async function checkFlatFeeds(
  app: DrillApp,
  ledger: readonly LedgerEntry[],
  users: readonly number[],
): Promise<FeedCheck> {
  const expected = expectedByUser(ledger);
  const check = emptyCheck();
  const definition = app.feeds.flat;
  await forEachLimited(users, 64, async (user) => {
    const key = definition.keyFor(user);
    const [items, stored] = await Promise.all([
      definition.timeline.get(key, { offset: 0, limit: null }),
      definition.timeline.count(key),
    ]);
    // A member the storage could not read as an id is skipped by `get` but counted by `count`.
    tally(
      check,
      user,
      expected.get(user) ?? new Set(),
      items.map((item) => item.serializationId),
      stored,
    );
  });
  return check;
}

/**
 * Reads every user's aggregated feed: every activity must be in exactly one aggregated activity
 * (kept or counted as minimized), and no group may be stored twice.
 */
export async function checkAggregatedFeeds(
  app: DrillApp,
  ledger: readonly LedgerEntry[],
  users: readonly number[],
): Promise<FeedCheck> {
  const expected = expectedByUser(ledger);
  const check = emptyCheck();
  const definition = app.feeds.aggregated;
  if (!definition) return check;
  await forEachLimited(users, 32, async (user) => {
    const items = await definition.timeline.get(definition.keyFor(user), {
      offset: 0,
      limit: null,
    });
    const ids = items.flatMap((item) => item.activityIds);
    const groups = items.map((item) => item.group);
    const minimized = items.reduce((sum, item) => sum + item.minimizedActivities, 0);
    // Minimized activities are counted, not listed: they count as found (the drill keeps groups under 15).
    tally(
      check,
      user,
      expected.get(user) ?? new Set(),
      ids,
      ids.length + minimized,
      groups.length - new Set(groups).size,
    );
  });
  return check;
}

export interface JobFigures {
  jobs: number;
  completed: number;
  failed: number;
  /** Jobs that needed more than one attempt, or were picked up again after their worker died. */
  retried: number;
  /** Failed attempts in all. */
  failedAttempts: number;
  /** Times jobs were found stalled (their worker died) and put back. */
  stalled: number;
  pending: number;
}

export async function jobFigures(app: DrillApp): Promise<JobFigures> {
  const figures: JobFigures = {
    jobs: 0,
    completed: 0,
    failed: 0,
    retried: 0,
    failedAttempts: 0,
    stalled: 0,
    pending: 0,
  };
  for (const priority of ['HIGH', 'LOW'] as FanoutPriority[]) {
    const queue = app.queue.queue(priority);
    const counts = await queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'completed',
      'failed',
      'prioritized',
      'waiting-children',
    );
    figures.completed += counts.completed ?? 0;
    figures.failed += counts.failed ?? 0;
    figures.pending +=
      (counts.waiting ?? 0) +
      (counts.active ?? 0) +
      (counts.delayed ?? 0) +
      (counts.prioritized ?? 0);
    for (const state of ['completed', 'failed'] as const) {
      for (let start = 0; start < (counts[state] ?? 0); start += 500) {
        const jobs = await queue.getJobs([state], start, start + 499);
        for (const job of jobs) {
          figures.jobs++;
          // A completed job failed every attempt but its last; a failed one, every attempt.
          const failedAttempts = Math.max(0, job.attemptsMade - (state === 'completed' ? 1 : 0));
          figures.failedAttempts += failedAttempts;
          figures.stalled += job.stalledCounter ?? 0;
          if (job.attemptsMade > 1 || (job.stalledCounter ?? 0) > 0) figures.retried++;
        }
      }
    }
  }
  return figures;
}

/** Waits until the queues hold no unfinished job (or the deadline passes); returns false on timeout. */
export async function waitForQueues(
  app: DrillApp,
  deadline: number,
  onTick?: (figures: { completed: number; pending: number }) => void,
): Promise<boolean> {
  for (;;) {
    let pending = 0;
    let completed = 0;
    for (const priority of ['HIGH', 'LOW'] as FanoutPriority[]) {
      const counts = await app.queue
        .queue(priority)
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed');
      pending +=
        (counts.waiting ?? 0) +
        (counts.active ?? 0) +
        (counts.delayed ?? 0) +
        (counts.prioritized ?? 0);
      completed += counts.completed ?? 0;
    }
    onTick?.({ completed, pending });
    if (pending === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** How many of the published activities the activity storage holds. */
export async function storedActivities(
  app: DrillApp,
  ledger: readonly LedgerEntry[],
): Promise<number> {
  let stored = 0;
  for (let i = 0; i < ledger.length; i += 200) {
    const found = await app.userFeed.getActivities(
      ledger.slice(i, i + 200).map((entry) => entry.id),
    );
    stored += found.size;
  }
  return stored;
}

/** Authors' own feeds: each must hold exactly its published activities. */
export async function checkUserFeeds(
  app: DrillApp,
  ledger: readonly LedgerEntry[],
): Promise<FeedCheck> {
  const check = emptyCheck();
  const byAuthor = new Map<number, Set<string>>();
  for (const entry of ledger) {
    let ids = byAuthor.get(entry.author);
    if (!ids) byAuthor.set(entry.author, (ids = new Set()));
    ids.add(entry.id);
  }
  for (const [author, want] of byAuthor) {
    const key = app.userFeed.keyFor(author);
    const items = await app.userFeed.timeline.get(key, { offset: 0, limit: null });
    tally(
      check,
      author,
      want,
      items.map((item) => item.serializationId),
      await app.userFeed.timeline.count(key),
    );
  }
  return check;
}
