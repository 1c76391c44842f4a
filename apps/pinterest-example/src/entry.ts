import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Runs `main` when the module at `moduleUrl` is the process's entry script (not when a test
 * imports it); a failure prints `<name>: <message>` and exits with 1.
 */
export function runIfEntry(moduleUrl: string, name: string, main: () => Promise<void>): void {
  const entry = process.argv[1];
  if (!entry) return;
  let isEntry: boolean;
  try {
    isEntry = pathToFileURL(realpathSync(entry)).href === moduleUrl;
  } catch {
    isEntry = false;
  }
  if (!isEntry) return;
  main().catch((error: unknown) => {
    console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
