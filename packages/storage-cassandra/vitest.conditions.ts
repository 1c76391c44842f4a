/**
 * The resolve conditions of ../../vitest.shared.ts, except on the SSR side: Vitest passes
 * `ssr.resolve.conditions` to its workers as Node `--conditions`, and with `import` (or
 * `module`) there, Node resolves cassandra-driver's `require('long')` to long's ES module build
 * and the driver fails to load (`Long.fromInt is not a function`). Vite adds import/require by
 * itself, so they are not needed here.
 */
const conditions = ['@sf/source', 'module', 'node', 'import', 'default'];
const nodeConditions = ['@sf/source', 'node', 'default'];

export const resolveConfig = {
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
};
