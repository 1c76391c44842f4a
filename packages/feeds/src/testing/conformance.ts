import { afterEach, beforeEach, describe } from 'vitest';
import type { StorageBackend } from '../backend/contracts.js';
import { activityTests } from './conformance-activities.js';
import { activityClockTests } from './conformance-activity-clock.js';
import { aggregatedTests } from './conformance-aggregated.js';
import { cacheTierTests } from './conformance-cache-tier.js';
import { concurrencyTests } from './conformance-concurrency.js';
import { filterTests } from './conformance-filters.js';
import type { ConformanceContext } from './conformance-context.js';
import { foreignIdTests } from './conformance-foreign-ids.js';
import { markerTests } from './conformance-markers.js';
import { notificationTests } from './conformance-notification.js';
import { rankedTests } from './conformance-ranked.js';
import { timelineTests } from './conformance-timeline.js';
import { updateTests } from './conformance-update.js';
import { idSchemeFor, makeActivities, makeActivity } from './fixtures.js';

export interface ConformanceBackend {
  backend: StorageBackend;
  /** Removes everything the test wrote (keys, tables, connections). */
  cleanup: () => Promise<void>;
}

export interface ConformanceSuiteOptions {
  /** Shown in the test names, e.g. `redis (cluster)`. */
  name: string;
  /** A fresh, empty backend for each test (e.g. with its own key prefix or keyspace). */
  createBackend: () => Promise<ConformanceBackend>;
  /** How long to wait for cross-process count events (pub/sub), in ms. Default 2000. */
  eventTimeout?: number;
  /** Per-test timeout in ms (default 30000). */
  testTimeout?: number;
}

/**
 * The contract every storage backend must meet, exercised through the storage interfaces and
 * through every feed type end to end, one file per concern (timeline, activities, aggregated,
 * notification, markers, concurrency). A test a backend cannot run is skipped by its declared
 * capabilities, visibly: the test name says what it needs and the skip note says why. Call it in
 * a vitest test file of the backend:
 *
 * ```ts
 * runStorageConformanceSuite({ name: 'memory', createBackend: async () => ({ backend: memoryStorage(), cleanup: async () => {} }) });
 * ```
 */
export function runStorageConformanceSuite(options: ConformanceSuiteOptions): void {
  const eventTimeout = options.eventTimeout ?? 2000;
  const timeout = options.testTimeout ?? 30_000;

  describe(`storage conformance: ${options.name}`, { timeout }, () => {
    let current: ConformanceBackend | undefined;

    beforeEach(async () => {
      current = await options.createBackend();
    });

    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    const ctx: ConformanceContext = {
      get storage(): StorageBackend {
        if (!current) throw new Error('the conformance backend is only available inside a test');
        return current.backend;
      },
      eventTimeout,
      // Activities with the id scheme the backend's format stores ('stream-framework' ids in the
      // Stream Framework format, the default 'actor' ids otherwise); a fixture may ask for another.
      makeActivity: (index, fixture = {}) =>
        makeActivity(index, { idScheme: idSchemeFor(ctx.storage.format), ...fixture }),
      makeActivities: (count, fixture = () => ({})) =>
        makeActivities(count, (index) => ({
          idScheme: idSchemeFor(ctx.storage.format),
          ...fixture(index),
        })),
    };

    timelineTests(ctx);
    activityTests(ctx);
    aggregatedTests(ctx);
    notificationTests(ctx);
    markerTests(ctx);
    concurrencyTests(ctx);
    updateTests(ctx);
    filterTests(ctx);
    rankedTests(ctx);
    cacheTierTests(ctx);
    foreignIdTests(ctx);
    activityClockTests(ctx);
  });
}
