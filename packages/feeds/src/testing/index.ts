export { runStorageConformanceSuite } from './conformance.js';
export type { ConformanceBackend, ConformanceSuiteOptions } from './conformance.js';
export {
  BASE_TIME,
  DAY,
  idSchemeFor,
  ids,
  makeActivities,
  makeActivity,
  verbs,
} from './fixtures.js';
export type { ActivityFixture } from './fixtures.js';
export { runConcurrentWritersSuite } from './concurrent-writers.js';
export type { ConcurrentWritersSuiteOptions } from './concurrent-writers.js';
