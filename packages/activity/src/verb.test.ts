import { describe, expect, it } from 'vitest';
import { InvalidVerbError, SfError, UnknownVerbError } from './errors.js';
import {
  Add,
  Comment,
  Follow,
  Love,
  MAX_VERB_ID,
  VerbRegistry,
  defaultVerbRegistry,
  defineVerb,
  getVerbById,
  registerVerb,
} from './verb.js';
import type { Verb } from './verb.js';

describe('built-in verbs', () => {
  it('have Stream Framework ids and forms', () => {
    expect([Follow, Comment, Love, Add]).toEqual([
      { id: 1, infinitive: 'follow', pastTense: 'followed' },
      { id: 2, infinitive: 'comment', pastTense: 'commented' },
      { id: 3, infinitive: 'love', pastTense: 'loved' },
      { id: 4, infinitive: 'add', pastTense: 'added' },
    ]);
  });

  it('are registered in the default registry under their ids', () => {
    expect(getVerbById(1)).toBe(Follow);
    expect(getVerbById(2)).toBe(Comment);
    expect(getVerbById(3)).toBe(Love);
    expect(getVerbById(4)).toBe(Add);
    expect(defaultVerbRegistry.list().slice(0, 4)).toEqual([Follow, Comment, Love, Add]);
  });

  it('are frozen', () => {
    expect(Object.isFrozen(Love)).toBe(true);
    expect(() => {
      (Love as { id: number }).id = 99;
    }).toThrow(TypeError);
    expect(Love.id).toBe(3);
  });

  it('cannot be replaced by a different verb with the same id', () => {
    expect(() => registerVerb({ id: 3, infinitive: 'like', pastTense: 'liked' })).toThrow(
      InvalidVerbError,
    );
    expect(() => registerVerb({ id: 3, infinitive: 'like', pastTense: 'liked' })).toThrow(
      'cannot register verb "like" with id 3: it clashes with verb "love"',
    );
    expect(getVerbById(3)).toBe(Love);
  });
});

describe('registerVerb / getVerbById', () => {
  it('registers a new verb and returns the registered (frozen) definition', () => {
    const pin = { id: 501, infinitive: 'pin', pastTense: 'pinned' };
    const registered = registerVerb(pin);
    expect(registered).toEqual({ id: 501, infinitive: 'pin', pastTense: 'pinned' });
    expect(Object.isFrozen(registered)).toBe(true);
    expect(getVerbById(501)).toBe(registered);
    // the caller's object is copied, not frozen, and later changes do not leak in
    expect(Object.isFrozen(pin)).toBe(false);
    pin.pastTense = 'changed';
    expect(getVerbById(501).pastTense).toBe('pinned');
  });

  it('is idempotent for the same verb and for an identical definition', () => {
    const share = registerVerb({ id: 502, infinitive: 'share', pastTense: 'shared' });
    expect(registerVerb(share)).toBe(share);
    expect(registerVerb({ id: 502, infinitive: 'share', pastTense: 'shared' })).toBe(share);
    expect(getVerbById(502)).toBe(share);
  });

  it('throws InvalidVerbError when another verb already has the id', () => {
    registerVerb({ id: 503, infinitive: 'repin', pastTense: 'repinned' });
    const clash = () => registerVerb({ id: 503, infinitive: 'repin', pastTense: 'pinned again' });
    expect(clash).toThrow(InvalidVerbError);
    expect(clash).toThrow('cannot register verb "repin" with id 503: it clashes with verb "repin"');
    expect(getVerbById(503).pastTense).toBe('repinned');
  });

  it('throws UnknownVerbError for an unknown id', () => {
    let error: unknown;
    try {
      getVerbById(777);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownVerbError);
    expect((error as UnknownVerbError).verbId).toBe(777);
    expect((error as UnknownVerbError).code).toBe('SF_UNKNOWN_VERB');
    expect((error as Error).message).toBe('no verb is registered with id 777');
  });

  it('throws UnknownVerbError for an id that is not an integer', () => {
    expect(() => getVerbById(3.5)).toThrow(UnknownVerbError);
    expect(() => getVerbById('3' as unknown as number)).toThrow('no verb is registered with id 3');
  });

  it.each([
    [
      'id 1000',
      { id: 1000, infinitive: 'big', pastTense: 'bigged' },
      /verb id must be an integer from 0 to 999, got 1000/,
    ],
    ['a negative id', { id: -1, infinitive: 'neg', pastTense: 'negged' }, /got -1/],
    ['a fractional id', { id: 1.5, infinitive: 'half', pastTense: 'halved' }, /got 1.5/],
    ['a string id', { id: '7', infinitive: 'str', pastTense: 'strung' }, /got 7/],
    [
      'an empty infinitive',
      { id: 504, infinitive: '', pastTense: 'x' },
      /verb 504 needs a non-empty infinitive, got ""/,
    ],
    [
      'a missing past tense',
      { id: 505, infinitive: 'x' },
      /verb 505 needs a non-empty pastTense, got undefined/,
    ],
    ['null', null, /a verb must be an object/],
  ])('rejects %s with InvalidVerbError', (_label, verb, message) => {
    expect(() => registerVerb(verb as unknown as Verb)).toThrow(InvalidVerbError);
    expect(() => registerVerb(verb as unknown as Verb)).toThrow(message);
  });

  it('accepts verb ids 0 and 999', () => {
    expect(MAX_VERB_ID).toBe(999);
    expect(registerVerb({ id: 999, infinitive: 'last', pastTense: 'lasted' }).id).toBe(999);
    expect(registerVerb({ id: 0, infinitive: 'zero', pastTense: 'zeroed' }).id).toBe(0);
    expect(getVerbById(0).infinitive).toBe('zero');
  });
});

describe('defineVerb', () => {
  it('creates a frozen verb with only the verb fields and registers it', () => {
    const verb = defineVerb({
      id: 510,
      infinitive: 'tag',
      pastTense: 'tagged',
      extra: true,
    } as Verb);
    expect(verb).toEqual({ id: 510, infinitive: 'tag', pastTense: 'tagged' });
    expect(Object.isFrozen(verb)).toBe(true);
    expect(getVerbById(510)).toBe(verb);
  });
});

describe('VerbRegistry', () => {
  it('a fresh registry is independent of the default one', () => {
    const registry = new VerbRegistry();
    expect(registry.has(1)).toBe(false);
    expect(registry.list()).toEqual([]);
    const pin = registry.register({ id: 1, infinitive: 'pin', pastTense: 'pinned' });
    expect(registry.get(1)).toBe(pin);
    expect(getVerbById(1)).toBe(Follow);
    expect(() => registry.get(3)).toThrow(UnknownVerbError);
  });

  it('lists verbs sorted by id and reports membership', () => {
    const registry = new VerbRegistry();
    registry.register({ id: 30, infinitive: 'c', pastTense: 'ced' });
    registry.register({ id: 10, infinitive: 'a', pastTense: 'aed' });
    registry.register({ id: 20, infinitive: 'b', pastTense: 'bed' });
    expect(registry.list().map((v) => v.id)).toEqual([10, 20, 30]);
    expect(registry.has(20)).toBe(true);
    expect(registry.has(21)).toBe(false);
  });

  it('errors are SfErrors', () => {
    const registry = new VerbRegistry();
    expect(() => registry.register({ id: 1000, infinitive: 'x', pastTense: 'y' })).toThrow(SfError);
  });
});
