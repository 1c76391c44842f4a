import { InvalidVerbError, UnknownVerbError } from './errors.js';

/** A verb: what an actor did (`pin`, `follow`, `love`). Ids are stable integers below 1000. */
export interface Verb {
  readonly id: number;
  readonly infinitive: string;
  readonly pastTense: string;
}

export const MAX_VERB_ID = 999;

function validateVerb(verb: Verb): Verb {
  if (typeof verb !== 'object' || verb === null) {
    throw new InvalidVerbError(
      `a verb must be an object { id, infinitive, pastTense }, got ${String(verb)}`,
      { value: verb },
    );
  }
  if (!Number.isInteger(verb.id) || verb.id < 0 || verb.id > MAX_VERB_ID) {
    throw new InvalidVerbError(
      `verb id must be an integer from 0 to ${MAX_VERB_ID}, got ${String(verb.id)} (${JSON.stringify(verb.infinitive)})`,
      { path: 'verb.id', value: verb.id },
    );
  }
  for (const field of ['infinitive', 'pastTense'] as const) {
    if (typeof verb[field] !== 'string' || verb[field].length === 0) {
      throw new InvalidVerbError(
        `verb ${verb.id} needs a non-empty ${field}, got ${JSON.stringify(verb[field])}`,
        { path: `verb.${field}`, value: verb[field] },
      );
    }
  }
  return verb;
}

/** Verbs by id. Deserializers resolve verb ids through a registry. */
export class VerbRegistry {
  readonly #verbs = new Map<number, Verb>();

  /**
   * Registers a verb. Registering the same verb (or an identical definition) twice is a no-op;
   * a different verb under a registered id throws `InvalidVerbError`.
   */
  register(verb: Verb): Verb {
    validateVerb(verb);
    const existing = this.#verbs.get(verb.id);
    if (existing) {
      if (
        existing === verb ||
        (existing.infinitive === verb.infinitive && existing.pastTense === verb.pastTense)
      ) {
        return existing;
      }
      throw new InvalidVerbError(
        `cannot register verb ${JSON.stringify(verb.infinitive)} with id ${verb.id}: it clashes with verb ${JSON.stringify(existing.infinitive)}`,
        { path: 'verb.id', value: verb.id },
      );
    }
    const frozen = Object.isFrozen(verb) ? verb : Object.freeze({ ...verb });
    this.#verbs.set(verb.id, frozen);
    return frozen;
  }

  /** @throws UnknownVerbError when no verb has this id */
  get(id: number): Verb {
    if (!Number.isInteger(id)) throw new UnknownVerbError(id);
    const verb = this.#verbs.get(id);
    if (!verb) throw new UnknownVerbError(id);
    return verb;
  }

  has(id: number): boolean {
    return this.#verbs.has(id);
  }

  list(): Verb[] {
    return [...this.#verbs.values()].sort((a, b) => a.id - b.id);
  }
}

/** The process-wide registry that `registerVerb` and `getVerbById` use. */
export const defaultVerbRegistry = new VerbRegistry();

/** Creates a verb and registers it in the default registry. */
export function defineVerb(verb: Verb): Verb {
  return defaultVerbRegistry.register(
    Object.freeze({ id: verb.id, infinitive: verb.infinitive, pastTense: verb.pastTense }),
  );
}

export function registerVerb(verb: Verb): Verb {
  return defaultVerbRegistry.register(verb);
}

export function getVerbById(id: number): Verb {
  return defaultVerbRegistry.get(id);
}

export const Follow = defineVerb({ id: 1, infinitive: 'follow', pastTense: 'followed' });
export const Comment = defineVerb({ id: 2, infinitive: 'comment', pastTense: 'commented' });
export const Love = defineVerb({ id: 3, infinitive: 'love', pastTense: 'loved' });
export const Add = defineVerb({ id: 4, infinitive: 'add', pastTense: 'added' });
