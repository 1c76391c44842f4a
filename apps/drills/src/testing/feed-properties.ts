/**
 * The model-based feed properties, as a suite any backend runs: random sequences of add /
 * addMany / remove / trim / get / filter / count on a flat feed and on aggregated feeds behave
 * exactly like the reference models of feed-model.ts.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { Love } from '@sf/activity';
import { RecentVerbAggregator } from '@sf/aggregators';
import { AggregatedFeed, Feed } from '@sf/feeds';
import type { StorageBackend } from '@sf/feeds';
import {
  aggregatedScenario,
  flatScenario,
  runAggregatedScenario,
  runFlatScenario,
} from './feed-model.js';

export interface FeedPropertySuiteOptions {
  name: string;
  /** A backend in the given serialization format (`json` or `stream-framework`). */
  createBackend: (
    format: 'json' | 'stream-framework',
  ) => Promise<{ backend: StorageBackend; cleanup: () => Promise<void> }>;
  numRuns: number;
  /** Per-test timeout in ms. */
  timeout?: number;
  formats?: ReadonlyArray<'json' | 'stream-framework'>;
  /**
   * Known disagreements with the model, reported to the package owners: these properties are
   * expected to fail until fixed (vitest `it.fails`), so the suite stays green and flags the fix.
   */
  knownFailures?: readonly string[];
  /** How the backend orders aggregated activities with the same aggregated id (see AggregatedModelOptions.ties). */
  aggregatedTies?: 'member-desc' | 'group-desc';
}

let run = 0;
/** A user id no other run of this process used (each run starts from an empty feed). */
function nextUserId(): number {
  run += 1;
  return run;
}

export function feedPropertySuite(options: FeedPropertySuiteOptions): void {
  const formats = options.formats ?? ['json', 'stream-framework'];
  const params: fc.Parameters<unknown> = { numRuns: options.numRuns, endOnFailure: true };
  // Replays a reported failure: SF_PROPERTY_SEED=<seed> SF_PROPERTY_PATH=<path>.
  if (process.env.SF_PROPERTY_SEED) {
    params.seed = Number(process.env.SF_PROPERTY_SEED);
    params.path = process.env.SF_PROPERTY_PATH;
  }
  for (const format of formats) {
    const idScheme = format === 'stream-framework' ? 'stream-framework' : 'actor';
    describe(`${options.name}, ${format} format: feeds behave like the reference model`, () => {
      const backends: Array<() => Promise<void>> = [];
      afterAll(async () => {
        for (const cleanup of backends) await cleanup();
      });
      const backend = async () => {
        const created = await options.createBackend(format);
        backends.push(created.cleanup);
        return created.backend;
      };
      const test = (title: string, body: () => Promise<void>) => {
        const known = options.knownFailures?.includes(title) ?? false;
        (known ? it.fails : it)(title, body, options.timeout);
      };

      test('flat feed (maxLength 6)', async () => {
        const definition = Feed.define({
          name: 'drill_flat',
          keyFormat: 'drill:flat:{userId}',
          storage: await backend(),
          maxLength: 6,
        });
        await fc.assert(
          fc.asyncProperty(flatScenario(6, idScheme), (scenario) =>
            runFlatScenario(definition, nextUserId(), scenario),
          ),
          params,
        );
      });

      test('aggregated feed (maxLength 6, mergeMaxLength 3)', async () => {
        const definition = AggregatedFeed.define({
          name: 'drill_agg',
          keyFormat: 'drill:agg:{userId}',
          storage: await backend(),
          maxLength: 6,
          mergeMaxLength: 3,
        });
        await fc.assert(
          fc.asyncProperty(aggregatedScenario({ maxLength: 6, idScheme }), (scenario) =>
            runAggregatedScenario(definition, nextUserId(), scenario, {
              ties: options.aggregatedTies,
            }),
          ),
          params,
        );
      });

      test('aggregated feed (maxLength 4, default mergeMaxLength 20)', async () => {
        const definition = AggregatedFeed.define({
          name: 'drill_agg_m',
          keyFormat: 'drill:aggm:{userId}',
          storage: await backend(),
          maxLength: 4,
        });
        await fc.assert(
          fc.asyncProperty(aggregatedScenario({ maxLength: 4, idScheme }), (scenario) =>
            runAggregatedScenario(definition, nextUserId(), scenario, {
              ties: options.aggregatedTies,
            }),
          ),
          params,
        );
      });

      test('aggregated feed with groups past 15 activities (one verb)', async () => {
        const definition = AggregatedFeed.define({
          name: 'drill_agg_big',
          keyFormat: 'drill:aggbig:{userId}',
          storage: await backend(),
          maxLength: 4,
          mergeMaxLength: 2,
        });
        await fc.assert(
          fc.asyncProperty(
            aggregatedScenario({ maxLength: 4, verbs: [Love], poolSize: 45, idScheme }),
            (scenario) =>
              runAggregatedScenario(definition, nextUserId(), scenario, {
                ties: options.aggregatedTies,
              }),
          ),
          params,
        );
      });

      test('aggregated feed whose aggregator keeps 3 activities per group', async () => {
        const definition = AggregatedFeed.define({
          name: 'drill_agg_3',
          keyFormat: 'drill:agg3:{userId}',
          storage: await backend(),
          maxLength: 5,
          mergeMaxLength: 2,
          aggregator: new RecentVerbAggregator({ maxAggregatedActivities: 3 }),
        });
        await fc.assert(
          fc.asyncProperty(
            aggregatedScenario({ maxLength: 5, verbs: [Love], idScheme }),
            (scenario) =>
              runAggregatedScenario(definition, nextUserId(), scenario, {
                maxActivities: 3,
                ties: options.aggregatedTies,
              }),
          ),
          // Enough runs that a known failure fails for sure (it stops at the first failing run).
          { ...params, numRuns: Math.max(options.numRuns, 60) },
        );
      });
    });
  }
}
