import { parseConfig } from './config.js';
import type { ServerConfig } from './config.js';

export const WRITE_KEY = 'test-write-key-0001';
export const READ_KEY = 'test-read-key-0001';
export const OTHER_WRITE_KEY = 'other-write-key-0001';

/** The config of the tests: AwesomeStream's keys, the four feed types, two tenants. */
export function testConfig(overrides: Record<string, unknown> = {}): ServerConfig {
  return parseConfig({
    items: { keys: ['user', 'kind', 'repo'] },
    verbs: [
      { id: 1, infinitive: 'follow', pastTense: 'followed' },
      { id: 3, infinitive: 'love', pastTense: 'loved' },
      { id: 5, infinitive: 'pin', pastTense: 'pinned' },
    ],
    feeds: [
      { name: 'user', type: 'flat', keyFormat: 'user:{userId}', maxLength: 1000, role: 'user' },
      {
        name: 'timeline',
        type: 'flat',
        keyFormat: 'feed:{userId}',
        maxLength: 100,
        index: { verb: true, field: 'board' },
        rankings: { popular: { candidates: 50, halfLifeHours: 24, popularityField: 'likes' } },
      },
      {
        name: 'aggregated',
        type: 'aggregated',
        keyFormat: 'aggregated:{userId}',
        maxLength: 50,
        index: { verb: true },
      },
      {
        name: 'notification',
        type: 'notification',
        keyFormat: 'notification:{userId}',
        maxLength: 50,
      },
    ],
    tenants: [
      {
        id: 'acme',
        apiKeys: [
          { key: WRITE_KEY, access: 'write' },
          { key: READ_KEY, access: 'read' },
        ],
      },
      { id: 'other', apiKeys: [{ key: OTHER_WRITE_KEY, access: 'write' }] },
    ],
    limits: { bodyBytes: 16384, rpcBatch: 10 },
    ...overrides,
  });
}

/** AwesomeStream's README: a user creates and deletes a repo, watches another, and two users friend each other. */
export const readmeEvents = [
  {
    kind: 'create-repo',
    repo: 17,
    user: 291,
    name: 'frist',
    description: 'This is my first repo ever!',
  },
  { kind: 'delete-repo', repo: 17, user: 291, reason: 'Made a typo :(' },
  { kind: 'watch', repo: 2842, user: 291, owner: 23 },
  { kind: 'friend', user: 291, friend: 23 },
  { kind: 'friend', user: 23, friend: 291 },
];

/** A deterministic pseudo-random generator, so failures repeat. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
