/**
 * The drills' workload: authors with a skewed follower graph, and the activities they publish.
 * Everything is computed from the configuration, so every process (producer, workers, verifier)
 * agrees without sharing state; the producer still writes a ledger of what it published.
 */
import { Activity, defineVerb } from '@sf/activity';

export const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });

export interface AuthorSpec {
  id: number;
  followers: number;
  activities: number;
}

export interface GraphSpec {
  authors: AuthorSpec[];
  /** Follower ids are BASE .. BASE + users - 1. */
  users: number;
}

export const FOLLOWER_BASE = 100_000;
const STRIDES = [7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67];

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The followers of an author: a different stride through the users for each, so follower sets overlap unevenly. */
export function followersOf(spec: GraphSpec, authorId: number): number[] {
  const index = spec.authors.findIndex((author) => author.id === authorId);
  if (index === -1) return [];
  const author = spec.authors[index]!;
  let stride = STRIDES[index % STRIDES.length]!;
  while (gcd(stride, spec.users) !== 1) stride += 2;
  const offset = (index * 977) % spec.users;
  const count = Math.min(author.followers, spec.users);
  return Array.from(
    { length: count },
    (_, i) => FOLLOWER_BASE + ((i * stride + offset) % spec.users),
  );
}

export interface PlannedActivity {
  author: number;
  activity: Activity;
}

/**
 * The activities in publishing order: round robin over the authors (the big author's activities
 * spread over the whole run), one second apart within one UTC day (one aggregated group per verb).
 */
export function plannedActivities(spec: GraphSpec): PlannedActivity[] {
  const plan: PlannedActivity[] = [];
  const rounds = Math.max(...spec.authors.map((author) => author.activities));
  const start = Date.UTC(2026, 0, 1, 1, 0, 0);
  for (let round = 0; round < rounds; round++) {
    for (const author of spec.authors) {
      if (round >= author.activities) continue;
      const activity = new Activity({
        actor: author.id,
        verb: Pin,
        object: author.id * 10_000 + round,
        time: start + plan.length * 1000,
        extraContext: { round, drill: 'fanout' },
      });
      plan.push({ author: author.id, activity });
    }
  }
  return plan;
}

/** Feed writes the plan makes per fanout feed (follower count of each activity's author, summed). */
export function expectedWrites(spec: GraphSpec): number {
  return spec.authors.reduce(
    (sum, author) => sum + Math.min(author.followers, spec.users) * author.activities,
    0,
  );
}
