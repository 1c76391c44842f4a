export { BaseAggregator, activityDay, rankByUpdatedAt } from './base-aggregator.js';
export type { AggregatedActivityClass, AggregatorOptions, MergeResult } from './base-aggregator.js';
export { NotificationAggregator, RecentVerbAggregator, createAggregator } from './aggregators.js';
export type { CustomAggregatorOptions } from './aggregators.js';
