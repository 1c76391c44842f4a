import type { Activity } from '@sf/activity';
import type { StorageBackend } from '../backend/contracts.js';
import type { ActivityFixture } from './fixtures.js';

/** What the conformance test groups share: the current backend and activity factories for it. */
export interface ConformanceContext {
  /** The backend of the running test (a fresh one per test). */
  readonly storage: StorageBackend;
  /** How long to wait for cross-process count events (pub/sub), in ms. */
  readonly eventTimeout: number;
  /** Activity `index` with the id scheme the backend's format stores (see `makeActivity` in fixtures). */
  readonly makeActivity: (index: number, fixture?: ActivityFixture) => Activity;
  readonly makeActivities: (
    count: number,
    fixture?: (index: number) => ActivityFixture,
  ) => Activity[];
}

export async function eventually(check: () => boolean, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
