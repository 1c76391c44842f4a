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
