/**
 * `@sf/manager/testing`: the Manager's scenario suite, for backends to run as they run
 * `@sf/feeds/testing` (needs `vitest`), and helpers for tests that run the manager across
 * processes (worker processes of `sf-fanout-worker`, producers) and for the app modules those
 * processes load. Spawned files run through tsx with the `@sf/source` condition: workspace and
 * test use.
 */
export { runManagerScenarioSuite } from './scenarios.js';
export type { ManagerScenarioBackend, ManagerScenarioSuiteOptions } from './scenarios.js';
export {
  failedAttemptsLogged,
  failureSnapshot,
  spawnNode,
  startWorkerProcess,
  stop,
  workerCli,
} from './process-harness.js';
export type { Child, SpawnOptions, WorkerProcessOptions } from './process-harness.js';
export { managerAppModule } from './manager-app.js';
export type { ManagerApp } from './manager-app.js';
