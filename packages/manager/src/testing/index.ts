/**
 * `@sf/manager/testing`: the Manager's scenario suite, for backends to run as they run
 * `@sf/feeds/testing` (needs `vitest`).
 */
export { runManagerScenarioSuite } from './scenarios.js';
export type { ManagerScenarioBackend, ManagerScenarioSuiteOptions } from './scenarios.js';
