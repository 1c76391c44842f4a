/**
 * A small, bounded summary of failed job attempts: one entry per distinct kind of failure (error
 * class chain + normalised message) with a count and the first and last times it was seen. A
 * worker that fails thousands of attempts during an outage logs a few lines instead of thousands,
 * and still says exactly what went wrong and for how long. `sf-fanout-worker` prints it.
 */

export interface FailureKind {
  /** The error's class, then its causes' (`RedisReplyError < ReplyError`). */
  errorClass: string;
  /** The message with per-call details (slot numbers, quoted keys) replaced, at most 300 chars. */
  message: string;
  /** One real message of this kind (the first one seen). */
  example: string;
  count: number;
  /** ISO timestamps of the first and the last failure of this kind. */
  first: string;
  last: string;
}

export interface FailureSnapshot {
  /** Failures recorded, all kinds together. */
  total: number;
  /** The kinds, most frequent first. */
  kinds: FailureKind[];
  /** Failures of kinds beyond `maxKinds` (counted, not described). */
  otherKinds: number;
}

export interface FailureSummaryOptions {
  /** Distinct kinds described (default 50); failures of further kinds only count in `otherKinds`. */
  maxKinds?: number;
}

const MAX_MESSAGE = 300;

/** The error's class names along its `cause` chain (at most 4). */
export function errorClassOf(error: unknown): string {
  const names: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      const ctor = (current as { constructor?: { name?: string } }).constructor?.name;
      names.push(ctor && ctor !== 'Error' ? ctor : current.name);
      current = (current as { cause?: unknown }).cause;
    } else {
      names.push(typeof current);
      break;
    }
  }
  return names.join(' < ') || 'unknown';
}

/**
 * The message with what changes from one call to the next replaced, so that failures of one
 * cause share one entry: cluster slot numbers of MOVED / ASK redirections, quoted strings (keys,
 * members), long digit runs (ids).
 */
export function normaliseMessage(message: string): string {
  const normalised = message
    .replace(/\b(MOVED|ASK) \d+/g, '$1 <slot>')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d{6,}/g, '<n>');
  return normalised.length > MAX_MESSAGE ? `${normalised.slice(0, MAX_MESSAGE - 1)}…` : normalised;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export class FailureSummary {
  readonly #kinds = new Map<string, FailureKind>();
  readonly #maxKinds: number;
  #total = 0;
  #other = 0;

  constructor(options: FailureSummaryOptions = {}) {
    this.#maxKinds = options.maxKinds ?? 50;
  }

  /** Failures recorded so far. */
  get total(): number {
    return this.#total;
  }

  /** Records one failure; returns its kind, and whether it is the first failure of that kind. */
  record(
    error: unknown,
    at: number = Date.now(),
  ): { kind: FailureKind | undefined; first: boolean } {
    this.#total++;
    const raw = messageOf(error);
    const errorClass = errorClassOf(error);
    const message = normaliseMessage(raw);
    const id = `${errorClass}\n${message}`;
    const time = new Date(at).toISOString();
    const known = this.#kinds.get(id);
    if (known) {
      known.count++;
      known.last = time;
      return { kind: known, first: false };
    }
    if (this.#kinds.size >= this.#maxKinds) {
      this.#other++;
      return { kind: undefined, first: false };
    }
    const kind: FailureKind = {
      errorClass,
      message,
      example: raw.length > MAX_MESSAGE ? `${raw.slice(0, MAX_MESSAGE - 1)}…` : raw,
      count: 1,
      first: time,
      last: time,
    };
    this.#kinds.set(id, kind);
    return { kind, first: true };
  }

  /** A copy of the summary, most frequent kinds first. */
  snapshot(): FailureSnapshot {
    return {
      total: this.#total,
      kinds: [...this.#kinds.values()]
        .map((kind) => ({ ...kind }))
        .sort((a, b) => b.count - a.count),
      otherKinds: this.#other,
    };
  }
}

/** Merges snapshots (e.g. of several worker processes) into one, most frequent kinds first. */
export function mergeFailureSnapshots(snapshots: readonly FailureSnapshot[]): FailureSnapshot {
  const kinds = new Map<string, FailureKind>();
  let total = 0;
  let otherKinds = 0;
  for (const snapshot of snapshots) {
    total += snapshot.total;
    otherKinds += snapshot.otherKinds;
    for (const kind of snapshot.kinds) {
      const id = `${kind.errorClass}\n${kind.message}`;
      const known = kinds.get(id);
      if (!known) {
        kinds.set(id, { ...kind });
        continue;
      }
      known.count += kind.count;
      if (kind.first < known.first) {
        known.first = kind.first;
        known.example = kind.example;
      }
      if (kind.last > known.last) known.last = kind.last;
    }
  }
  return { total, kinds: [...kinds.values()].sort((a, b) => b.count - a.count), otherKinds };
}
