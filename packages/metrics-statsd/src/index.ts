export { StatsdMetrics, statsdMetrics } from './statsd-metrics.js';
export type { StatsdClientLike, StatsdMetricsOptions } from './statsd-metrics.js';
