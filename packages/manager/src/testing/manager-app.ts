/**
 * The module glue of a "manager app": what `sf-fanout-worker` loads through SF_MANAGER_MODULE
 * (`createManager`, `closeManager`: a `ManagerModule`) for an app that a test or drill builds the same way in every
 * process, from the environment.
 */
import type { TaskExecutor } from '../fanout-queue.js';

/** An app around a manager: what it closes on shutdown (queues, storage connections). */
export interface ManagerApp<M extends TaskExecutor = TaskExecutor> {
  manager: M;
  close(): Promise<void>;
}

/**
 * `export const { createManager, closeManager } = managerAppModule(() => buildApp(configFromEnv()))`:
 * each worker builds its app once, and closing the manager closes the app it came with.
 */
export function managerAppModule<M extends TaskExecutor>(
  build: () => ManagerApp<M> | Promise<ManagerApp<M>>,
): { createManager: () => Promise<M>; closeManager: (manager: M) => Promise<void> } {
  const apps = new WeakMap<M, ManagerApp<M>>();
  return {
    createManager: async () => {
      const app = await build();
      apps.set(app.manager, app);
      return app.manager;
    },
    closeManager: async (manager: M) => {
      await apps.get(manager)?.close();
    },
  };
}
