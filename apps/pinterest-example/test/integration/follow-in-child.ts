/**
 * Run by the shared-mode tests in a child process: `<followerId> <targetId>`, with the mode's
 * settings in the environment (SF_STORAGE, ...). The follow's notification is written by this
 * process, so the web process learns of it only through the backend's cross-process events.
 */
import * as actions from '../../src/actions.js';
import { configFromEnv, createRuntime } from '../../src/runtime.js';

const [followerId, targetId] = process.argv.slice(2).map(Number);
const runtime = await createRuntime(configFromEnv());
try {
  const [follower, target] = await Promise.all([
    runtime.store.getUser(followerId!),
    runtime.store.getUser(targetId!),
  ]);
  if (!follower || !target) throw new Error(`no users ${followerId} and ${targetId}`);
  console.log(JSON.stringify({ followed: await actions.follow(runtime, follower, target) }));
} finally {
  await runtime.close();
}
