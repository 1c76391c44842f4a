/**
 * Drill 5: one node of a 3-node Cassandra cluster killed mid-fanout.
 *
 * Feeds (flat and aggregated) on the cluster of `scripts/cassandra.sh cluster` (127.0.0.1-3, CQL
 * port SF_DRILL_CASSANDRA_CLUSTER_PORT, default 9242), in a keyspace of replication factor 3, so
 * the storage reads and writes at QUORUM; the BullMQ queue on Redis (REDIS_URL). A producer
 * publishes 8 activities of 2 authors (1,500 and 500 followers) while 2 workers fan them out;
 * once a quarter of the jobs are done the drill kills node 2 with SIGKILL, keeps it down for
 * 15 s (QUORUM still has 2 of 3 copies: the fanout goes on), starts it again and waits until
 * the other nodes have replayed their hints to it (their hints folders are empty again). Every
 * feed is then compared with the ledger: 0 missing, 0 duplicated, no job failed for good.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cassandraDrillConfig, untilQuarterDone } from './drill-3-cassandra-restart.js';
import { drillTable, finishDrill, takeOutcome } from './drills/report.js';
import type { DrillResult, Figure } from './drills/report.js';
import { runFanoutDrill } from './drills/run-fanout.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/cassandra.sh', import.meta.url));

const KILLED_NODE = 2;
const DOWN_MS = 15_000;
const HINTS_TIMEOUT_MS = 600_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function clusterEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CASSANDRA_CLUSTER_PORT: process.env.SF_DRILL_CASSANDRA_CLUSTER_PORT || '9242',
    // A node restarting among two busy ones replays its commit log and catches up on the schema.
    CASSANDRA_START_TIMEOUT: process.env.CASSANDRA_START_TIMEOUT || '600',
  };
}

function nodeDir(node: number): string {
  const home = process.env.SF_CASSANDRA_HOME || join(homedir(), '.cache/sf-cassandra');
  return join(home, 'cluster', `node${node}`);
}

/** Hint files (and their bytes) a node holds for nodes that were down. */
function hintsOf(node: number): { files: number; bytes: number } {
  const folder = join(nodeDir(node), 'data', 'hints');
  let files = 0;
  let bytes = 0;
  try {
    for (const name of readdirSync(folder)) {
      if (!name.endsWith('.hints')) continue;
      files += 1;
      bytes += statSync(join(folder, name)).size;
    }
  } catch {
    // no hints folder yet: no hints
  }
  return { files, bytes };
}

function hintsOfOthers(): { files: number; bytes: number } {
  const others = [1, 2, 3].filter((node) => node !== KILLED_NODE).map(hintsOf);
  return {
    files: others.reduce((sum, hints) => sum + hints.files, 0),
    bytes: others.reduce((sum, hints) => sum + hints.bytes, 0),
  };
}

export async function runDrill5(
  log: (message: string) => void = console.log,
): Promise<DrillResult> {
  const started = Date.now();
  const env = clusterEnv();
  const result: DrillResult = {
    id: 'drill-5',
    title: 'Cassandra cluster (3 nodes, replication factor 3, QUORUM): a node killed mid-fanout',
    ok: false,
    figures: [],
    failures: [],
    notes: [],
    durationMs: 0,
  };
  const up = await run('bash', [script, 'cluster', 'status'], { env, timeout: 60_000 }).then(
    () => true,
    () => false,
  );
  if (!up) {
    result.skipped =
      'needs the 3-node cluster of scripts/cassandra.sh cluster (scripts/drill.sh drill-5 starts it)';
    result.durationMs = Date.now() - started;
    return result;
  }
  const contact = (await run('bash', [script, 'cluster', 'nodes'], { env })).stdout.trim();

  const outcome = await runFanoutDrill({
    label: 'drill5',
    log,
    workers: 2,
    paceMs: 200,
    timeoutMs: 1_200_000,
    config: cassandraDrillConfig('drill5', contact, 3),
    fault: async (fanout) => {
      const figures: Figure[] = [];
      const failures: string[] = [];
      const notes: string[] = [];
      await untilQuarterDone(fanout);
      log(
        `killing cluster node ${KILLED_NODE} with SIGKILL: ${fanout.completed()} of ~${fanout.expectedTasks} jobs done`,
      );
      figures.push(['jobs done when the node was killed', fanout.completed()]);
      const doneAtKill = fanout.completed();
      const killedAt = Date.now();
      await run('bash', [script, 'cluster', 'kill-node', String(KILLED_NODE)], { env });
      await sleep(DOWN_MS);
      const doneWhileDown = fanout.completed() - doneAtKill;
      const hintsWhileDown = hintsOfOthers();
      log(
        `${doneWhileDown} jobs done while node ${KILLED_NODE} was down; other nodes hold ${hintsWhileDown.files} hint file(s)`,
      );
      log(`starting node ${KILLED_NODE} again`);
      try {
        await run('bash', [script, 'cluster', 'start-node', String(KILLED_NODE)], {
          env,
          timeout: 660_000,
        });
      } catch (error) {
        failures.push(`node ${KILLED_NODE} did not start again: ${String(error).slice(0, 300)}`);
      }
      const backAt = Date.now();
      log(`node ${KILLED_NODE} answers again after ${((backAt - killedAt) / 1000).toFixed(1)} s`);
      // Hints are flushed to files every 10 s and dispatched every 10 s once the node is back:
      // the replay is over when the other nodes hold no hint file any more.
      let peak = hintsOfOthers();
      let replayedAt = 0;
      while (Date.now() - backAt < HINTS_TIMEOUT_MS) {
        const hints = hintsOfOthers();
        if (hints.bytes > peak.bytes) peak = hints;
        if (hints.files === 0 && Date.now() - backAt > 12_000) {
          replayedAt = Date.now();
          break;
        }
        await sleep(500);
      }
      figures.push(
        [
          `node ${KILLED_NODE} down (kill to CQL answering)`,
          `${((backAt - killedAt) / 1000).toFixed(1)} s`,
        ],
        [`jobs done in the ${DOWN_MS / 1000} s the node was down (QUORUM of 2)`, doneWhileDown],
        [
          'hints held by the other nodes (peak)',
          `${Math.max(peak.files, hintsWhileDown.files)} file(s), ${Math.max(peak.bytes, hintsWhileDown.bytes).toLocaleString('en-US')} bytes`,
        ],
      );
      if (replayedAt) {
        figures.push([
          'hints replayed (node back to no hint files left)',
          `${((replayedAt - backAt) / 1000).toFixed(1)} s`,
        ]);
      } else {
        failures.push(
          `the other nodes still held hints ${HINTS_TIMEOUT_MS / 1000} s after node ${KILLED_NODE} came back`,
        );
      }
      if (doneWhileDown === 0) {
        failures.push(
          `no job finished while node ${KILLED_NODE} was down: QUORUM of 3 should keep the fanout going`,
        );
      }
      notes.push(
        'The ledger check reads at QUORUM after the replay: a row a write missed on the killed node is read from the two others.',
      );
      return { figures, failures, notes };
    },
  });
  takeOutcome(result, outcome);
  return finishDrill(result, started);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runDrill5();
  console.log(drillTable(result));
  process.exitCode = result.ok || result.skipped ? 0 : 1;
}
