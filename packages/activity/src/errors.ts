const marker = Symbol.for('@sf/error');
const argumentMarker = Symbol.for('@sf/invalid-argument');

/** Options shared by every error of the library. */
export interface SfErrorOptions {
  cause?: unknown;
}

/**
 * Base class of every error the `@sf/*` packages throw. `code` is stable across versions;
 * `SfError.isInstance` works across duplicated copies of the package.
 */
export class SfError extends Error {
  readonly [marker] = true;
  readonly code: string;

  constructor(code: string, message: string, options: SfErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    Object.setPrototypeOf(this, new.target.prototype);
  }

  static isInstance(error: unknown): error is SfError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** An activity or aggregated activity could not be written or read in a given format. */
export class SerializationError extends SfError {
  /** The field (or key) that was wrong, when known. */
  readonly field: string | undefined;

  /** `code` is for subclasses naming a more specific case; `SF_SERIALIZATION` by default. */
  constructor(message: string, options: SfErrorOptions & { field?: string; code?: string } = {}) {
    super(options.code ?? 'SF_SERIALIZATION', message, options);
    this.field = options.field;
  }
}

/** Options of an {@link InvalidArgumentError}. */
export interface InvalidArgumentErrorOptions extends SfErrorOptions {
  /** The argument or option that was wrong, as a path: `options.maxLength`, `activity.time`. */
  path: string;
  /** The value that was given. */
  value?: unknown;
  /** The stable code of a subclass; `SF_INVALID_ARGUMENT` by default. */
  code?: string;
}

/**
 * A function, constructor or configuration got an argument or option it cannot work with.
 * Every "bad input" error of the library is this class or a subclass, so one `instanceof` (or
 * `code` prefix check) separates a caller's mistake from a backend failure.
 */
export class InvalidArgumentError extends SfError {
  readonly [argumentMarker] = true;
  /** The argument or option that was wrong (`options.maxLength`, `activity.time`). */
  readonly path: string;
  /** The value that was given. */
  readonly value: unknown;

  constructor(message: string, options: InvalidArgumentErrorOptions) {
    super(options.code ?? 'SF_INVALID_ARGUMENT', message, options);
    this.path = options.path;
    this.value = options.value;
  }

  /**
   * True for an InvalidArgumentError or any subclass, also from another copy of the package:
   * what a queue or an HTTP layer checks to tell a caller's mistake (never worth a retry) from a
   * failure, without listing every subclass's code.
   */
  static override isInstance(error: unknown): error is InvalidArgumentError {
    return SfError.isInstance(error) && argumentMarker in error;
  }
}

/** Options of an InvalidArgumentError subclass whose code is fixed. */
export type InvalidArgumentSubclassOptions = Omit<InvalidArgumentErrorOptions, 'code'>;

/** An activity (or one of its fields) is not valid: a bad time, id, verb or context. */
export class InvalidActivityError extends InvalidArgumentError {
  /** The field that was wrong (e.g. `time`, `epochMicroseconds`), when known. */
  readonly field: string | undefined;

  constructor(
    message: string,
    options: SfErrorOptions & { field?: string; value?: unknown; code?: string } = {},
  ) {
    super(message, {
      ...options,
      path: options.field ?? 'activity',
      code: options.code ?? 'SF_INVALID_ACTIVITY',
    });
    this.field = options.field;
  }
}

/** The object id or the verb id has too many digits to fit Stream Framework's serialization id. */
export class SerializationIdError extends SfError {
  constructor(message: string, options: SfErrorOptions = {}) {
    super('SF_SERIALIZATION_ID', message, options);
  }
}

/** An activity (or id) was not found where it was expected. */
export class ActivityNotFoundError extends SfError {
  readonly activityId: string;

  constructor(activityId: string, where: string, options: SfErrorOptions = {}) {
    super('SF_ACTIVITY_NOT_FOUND', `activity ${activityId} not found in ${where}`, options);
    this.activityId = activityId;
  }
}

/**
 * Storing the activity would overwrite another actor's activity stored under the same
 * serialization id (Stream Framework's ids have no actor: two actors doing the same verb to the
 * same object in the same millisecond share one). Nothing of the refused write was stored.
 */
export class ActivityConflictError extends SfError {
  readonly activityId: string;
  /** The actor of the activity already stored under `activityId` (kept). */
  readonly storedActorId: number | bigint | string;
  /** The actor of the activity that was refused. */
  readonly newActorId: number | bigint | string;
  /**
   * What differs: `actor` (Stream Framework ids have no actor), or `object` / `foreignId` when
   * two different string ids or foreign ids got the same hashed stand-in in the same millisecond.
   */
  readonly field: 'actor' | 'object' | 'foreignId';
  /** The differing values, stored then refused (for `actor`: the actor ids). */
  readonly storedValue: unknown;
  readonly newValue: unknown;

  constructor(
    activityId: string,
    storedActorId: number | bigint | string,
    newActorId: number | bigint | string,
    options: SfErrorOptions & {
      field?: 'actor' | 'object' | 'foreignId' | undefined;
      storedValue?: unknown;
      newValue?: unknown;
    } = {},
  ) {
    const field = options.field ?? 'actor';
    const show = (value: unknown) =>
      typeof value === 'string' ? JSON.stringify(value) : String(value);
    super(
      'SF_ACTIVITY_CONFLICT',
      field === 'actor'
        ? `activity ${activityId} of actor ${show(newActorId)} was refused: an activity of actor ${show(storedActorId)} is stored under the same serialization id (Stream Framework ids have no actor: same time in ms, object and verb); create activities with the default idScheme 'actor' (JSON format) to store both`
        : `activity ${activityId} with ${field} ${show(options.newValue)} was refused: an activity with ${field} ${show(options.storedValue)} is stored under the same serialization id (their hashed stand-ins collide in the same millisecond); store it with another time`,
      options,
    );
    this.activityId = activityId;
    this.storedActorId = storedActorId;
    this.newActorId = newActorId;
    this.field = field;
    this.storedValue = field === 'actor' ? storedActorId : options.storedValue;
    this.newValue = field === 'actor' ? newActorId : options.newValue;
  }
}

/** An aggregated activity already contains this activity. */
export class DuplicateActivityError extends SfError {
  readonly activityId: string;

  constructor(activityId: string, group: string, options: SfErrorOptions = {}) {
    super(
      'SF_DUPLICATE_ACTIVITY',
      `activity ${activityId} is already in aggregated activity ${JSON.stringify(group)}`,
      options,
    );
    this.activityId = activityId;
  }
}

/** Removing the activity would leave an aggregated activity without activities. */
export class EmptyAggregationError extends SfError {
  constructor(group: string, options: SfErrorOptions = {}) {
    super(
      'SF_EMPTY_AGGREGATION',
      `removing the last activity of aggregated activity ${JSON.stringify(group)} would leave it empty; remove the aggregated activity instead`,
      options,
    );
  }
}

/** No verb is registered under this id. */
export class UnknownVerbError extends SfError {
  readonly verbId: unknown;

  constructor(verbId: unknown, options: SfErrorOptions = {}) {
    super('SF_UNKNOWN_VERB', `no verb is registered with id ${String(verbId)}`, options);
    this.verbId = verbId;
  }
}

/** A verb definition is malformed, or clashes with another verb registered under the same id. */
export class InvalidVerbError extends InvalidArgumentError {
  /** `path` defaults to `verb` (the definition given). */
  constructor(message: string, options: Partial<InvalidArgumentSubclassOptions> = {}) {
    super(message, { ...options, path: options.path ?? 'verb', code: 'SF_INVALID_VERB' });
  }
}

/** A storage backend failed: unreachable, timed out, or answered something unexpected. */
export class StorageError extends SfError {
  constructor(message: string, options: SfErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'SF_STORAGE', message, options);
  }
}

/** The storage backend could not be reached (connection refused, closed, or timed out). */
export class StorageUnavailableError extends StorageError {
  constructor(message: string, options: SfErrorOptions = {}) {
    super(message, { ...options, code: 'SF_STORAGE_UNAVAILABLE' });
  }
}
