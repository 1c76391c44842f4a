/**
 * The producer process of a drill: publishes the planned activities (graph.ts) through
 * Manager.addUserActivity, paced by SF_DRILL_PACE_MS, retrying a publish that fails (the storage
 * may be failing over) until it succeeds. Keeps a ledger: one JSON line per published activity,
 * `{"id","author","followers":[...],"tasks"}`, appended to SF_DRILL_LEDGER before the next one.
 * Prints JSON lines: `{"event":"published","count"}` every 10 activities, then
 * `{"event":"done","published","tasks","publishRetries"}`.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { buildApp, configFromEnv } from './app.js';
import { followersOf, plannedActivities } from './graph.js';

const config = configFromEnv();
const ledger = process.env.SF_DRILL_LEDGER;
if (!ledger) throw new Error('set SF_DRILL_LEDGER to the ledger file');
const pace = Number(process.env.SF_DRILL_PACE_MS || 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const app = buildApp(config);
writeFileSync(ledger, '');
let published = 0;
let tasks = 0;
let publishRetries = 0;
try {
  for (const { author, activity } of plannedActivities(config.graph)) {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const handle = await app.manager.addUserActivity(author, activity);
        tasks += handle.tasks;
        appendFileSync(
          ledger,
          `${JSON.stringify({ id: activity.serializationId, author, followers: followersOf(config.graph, author), tasks: handle.tasks })}\n`,
        );
        break;
      } catch (error) {
        // Re-publishing is safe: storing and the user feed are idempotent, and a fanout enqueued
        // twice writes the same entries (its jobs are idempotent).
        publishRetries++;
        if (attempt >= 120) throw error;
        await sleep(Math.min(1000, 50 * attempt));
      }
    }
    published++;
    if (published % 10 === 0) console.log(JSON.stringify({ event: 'published', count: published }));
    const elapsed = Date.now() - started;
    if (pace > elapsed) await sleep(pace - elapsed);
  }
  console.log(JSON.stringify({ event: 'done', published, tasks, publishRetries }));
} finally {
  await app.close();
}
