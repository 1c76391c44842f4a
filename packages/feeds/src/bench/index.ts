/**
 * `@sf/feeds/bench`: what the backends' benchmarks share. `runFiltersBench` is the filter-index
 * bench every backend with `indexedFilters` runs against its own storage; the rest are the
 * figures helpers (percentiles, median, a Markdown table). No vitest: benches run under node.
 */
export { runFiltersBench } from './filters.js';
export type { FiltersBenchOptions } from './filters.js';
export { envNumber, median, percentile, printTable } from './stats.js';
