/**
 * Reference models of a flat feed and an aggregated feed, and runners that apply the same random
 * sequence of operations to a real feed (on any storage backend) and to the model, comparing every
 * result. The models are written from the specification (SF-SPEC.md sections 6, 7, 12 and the
 * feeds README), not from the implementation:
 *
 * - flat: a set of ids, newest first; every write trims to maxLength (unless `trim: false`);
 *   filters gt/gte/lt/lte compare exact ids; offset/limit page after filtering; asc/desc.
 * - aggregated: RecentVerbAggregator groups (verb + UTC day); a write merges into the
 *   mergeMaxLength most recently updated aggregated activities, and into older ones (up to
 *   maxLength) for groups not among them, so no group is duplicated while it is in the feed;
 *   activities are appended in merge order, the newest `maxActivities` kept, the rest counted as
 *   minimized; ordered and trimmed by aggregated id (updatedAt seconds x 1000) then member.
 *
 * One module each: the scenarios (feed-scenarios.ts), what both models share (filters, pages,
 * the step comparison: feed-model-checks.ts), the flat model (flat-feed-model.ts) and the
 * aggregated model (aggregated-feed-model.ts).
 */
export { aggregatedScenario, flatScenario } from './feed-scenarios.js';
export type { AggregatedScenarioOptions, Bound, FeedOp, Scenario } from './feed-scenarios.js';
export { ModelMismatch } from './feed-model-checks.js';
export { FlatModel, runFlatScenario } from './flat-feed-model.js';
export { AggregatedModel, memberOf, runAggregatedScenario } from './aggregated-feed-model.js';
export type { AggregatedModelOptions, AggregatedRunOptions } from './aggregated-feed-model.js';
