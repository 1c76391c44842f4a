/**
 * Drill 1: Redis Cluster failover under fanout load.
 *
 * Feeds on a Redis Cluster of 3 masters with 1 replica each (SF_DRILL_CLUSTER, default ports
 * 7101-7106, started by scripts/drill.sh); the BullMQ queue on its own single Redis (REDIS_URL,
 * default 6379) so that the failover under test is the feeds' and the queue keeps what it was
 * told. A producer publishes 160 activities of 10 authors with a skewed follower graph (5,000
 * followers down to 20: 227,520 feed writes) while 2 worker processes fan them out; once a third
 * of the jobs are done the drill kills one master with SIGKILL, measures how long the cluster
 * takes to promote its replica, and lets workers and producer carry on (failed writes are retried
 * by BullMQ). At the end every follower feed is compared with the producer's ledger.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { GraphSpec } from './drills/graph.js';
import { expectedWrites } from './drills/graph.js';
import { drillTable, finishDrill, takeOutcome } from './drills/report.js';
import type { DrillResult, Figure } from './drills/report.js';
import { runFanoutDrill } from './drills/run-fanout.js';
import type { FanoutRun } from './drills/run-fanout.js';

const run = promisify(execFile);

export const graph: GraphSpec = {
  users: 6000,
  authors: [5000, 3000, 2000, 1500, 1000, 800, 500, 300, 100, 20].map((followers, i) => ({
    id: i + 1,
    followers,
    activities: 16,
  })),
};

interface ClusterNode {
  id: string;
  address: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: number;
}

function parseNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      const count = slots
        .filter((slot) => !slot.startsWith('['))
        .reduce((sum, slot) => {
          const [from, to] = slot.split('-').map(Number);
          return sum + (to === undefined ? 1 : to - from! + 1);
        }, 0);
      const hostPort = address!.split('@')[0]!;
      return {
        id: id!,
        address: hostPort,
        port: Number(hostPort.split(':')[1]),
        flags: flags!.split(','),
        masterId: masterId!,
        slots: count,
      };
    });
}

/** One command on one node, over a connection of its own that never retries (the node may be dead). */
async function nodeCommand(port: number, ...args: [string, ...string[]]): Promise<unknown> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(...args);
  } finally {
    client.disconnect();
  }
}

async function clusterNodes(port: number): Promise<ClusterNode[]> {
  return parseNodes((await nodeCommand(port, 'CLUSTER', 'NODES')) as string);
}

async function clusterOk(port: number): Promise<boolean> {
  try {
    return /cluster_state:ok/.test((await nodeCommand(port, 'CLUSTER', 'INFO')) as string);
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runDrill1(
  log: (message: string) => void = console.log,
): Promise<DrillResult> {
  const started = Date.now();
  const clusterList =
    process.env.SF_DRILL_CLUSTER ||
    '127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103,127.0.0.1:7104,127.0.0.1:7105,127.0.0.1:7106';
  const ports = clusterList.split(',').map((node) => Number(node.split(':')[1]));
  const clusterDir =
    process.env.SF_DRILL_CLUSTER_DIR ||
    join(process.env.TMPDIR || tmpdir(), `sf-redis-cluster-${ports[0]}`);
  const result: DrillResult = {
    id: 'drill-1',
    title: 'Redis Cluster failover under fanout load (SIGKILL of a master)',
    ok: false,
    figures: [],
    failures: [],
    notes: [],
    durationMs: 0,
  };

  const before = await clusterNodes(ports[0]!).catch(() => []);
  const masters = before.filter(
    (node) => node.flags.includes('master') && node.slots > 0 && !node.flags.includes('fail'),
  );
  const replicas = before.filter(
    (node) => node.flags.includes('slave') && !node.flags.includes('fail'),
  );
  if (masters.length < 3 || replicas.length < masters.length || !(await clusterOk(ports[0]!))) {
    result.skipped = `needs a healthy Redis Cluster with a replica per master at ${clusterList} (scripts/drill.sh starts one)`;
    result.durationMs = Date.now() - started;
    return result;
  }

  let killed: ClusterNode | undefined;
  let killedAt = 0;
  let fanoutRun: FanoutRun | undefined;
  let failoverMs: number | undefined;
  let promoted: ClusterNode | undefined;
  const outcome = await runFanoutDrill({
    label: 'drill1',
    log,
    workers: 2,
    paceMs: 60,
    timeoutMs: 300_000,
    config: {
      storage: 'cluster',
      feedsUrl: '',
      clusterNodes: clusterList,
      cassandraContactPoints: '',
      keyspace: '',
      queueUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      feeds: ['flat'],
      graph,
      chunkSize: 250,
      attempts: 60,
      backoffMs: 500,
    },
    fault: async (fanout) => {
      fanoutRun = fanout;
      const figures: Figure[] = [];
      const failures: string[] = [];
      const notes: string[] = [];
      // Mid-fanout: a third of the jobs done (and the producer still publishing).
      const until = Date.now() + 180_000;
      while (fanout.completed() < fanout.expectedTasks / 3 && Date.now() < until) await sleep(100);
      const current = (await clusterNodes(ports[0]!)).filter(
        (node) => node.flags.includes('master') && node.slots > 0,
      );
      killed = current.sort((a, b) => b.slots - a.slots)[0]!;
      const pid = Number(
        readFileSync(join(clusterDir, String(killed.port), 'redis.pid'), 'utf8').trim(),
      );
      log(
        `killing master ${killed.address} (pid ${pid}, ${killed.slots} slots) with SIGKILL: ${fanout.completed()} of ~${fanout.expectedTasks} jobs done, ${fanout.published()} activities published`,
      );
      figures.push(
        ['jobs done when the master was killed', fanout.completed()],
        ['activities published when killed', fanout.published()],
      );
      killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      // Failover: a surviving node sees the cluster ok again with the killed node's slots on a new master.
      const survivor = ports.find((port) => port !== killed!.port)!;
      while (Date.now() - killedAt < 60_000) {
        try {
          const nodes = await clusterNodes(survivor);
          const dead = nodes.find((node) => node.id === killed!.id);
          const replacement = nodes.find(
            (node) =>
              node.flags.includes('master') &&
              !node.flags.includes('fail') &&
              node.id !== killed!.id &&
              before.find((b) => b.id === node.id)?.masterId === killed!.id,
          );
          if (
            dead?.flags.includes('fail') &&
            replacement &&
            replacement.slots > 0 &&
            (await clusterOk(survivor))
          ) {
            failoverMs = Date.now() - killedAt;
            promoted = replacement;
            break;
          }
        } catch {
          // the node asked may be busy; ask again
        }
        await sleep(50);
      }
      if (failoverMs === undefined) failures.push('the cluster did not fail over within 60 s');
      else
        log(`failover: replica ${promoted!.address} promoted, cluster ok after ${failoverMs} ms`);
      figures.push(
        ['master killed (SIGKILL)', `${killed.address} (${killed.slots} slots)`],
        [
          'killed at (from the drill start)',
          `${((killedAt - fanout.started) / 1000).toFixed(1)} s`,
        ],
        [
          'failover time (kill to cluster ok)',
          failoverMs === undefined ? 'none' : `${(failoverMs / 1000).toFixed(1)} s`,
        ],
      );
      if (promoted) figures.push(['promoted replica', promoted.address]);
      notes.push(
        'replication is asynchronous: a write the killed master acknowledged but had not yet sent to its replica would be lost; "missing" counts exactly those',
      );
      return { figures, failures, notes };
    },
  });
  takeOutcome(result, outcome);
  // Did every worker's Cluster client follow the failover? Compare the slot map each one had when
  // it stopped with the cluster's (the killed node is still down here).
  if (killed && fanoutRun) {
    const actual: Record<string, number> = {};
    try {
      const survivor = ports.find((port) => port !== killed!.port)!;
      for (const node of await clusterNodes(survivor))
        if (node.flags.includes('master') && node.slots > 0) actual[node.address] = node.slots;
    } catch (error) {
      result.notes.push(`could not read the cluster's slot map: ${String(error).slice(0, 200)}`);
    }
    const at = (iso: string | null) =>
      iso === null
        ? 'never'
        : `${((Date.parse(iso) - killedAt) / 1000).toFixed(1)} s after the kill`;
    let current = 0;
    for (const { worker, summary } of outcome.clients) {
      if (!summary) {
        outcome.errors.push(`${worker}: no client summary`);
        continue;
      }
      const owners = Object.fromEntries(
        Object.entries(summary.owners).filter(([owner]) => owner !== 'none'),
      );
      const same =
        Object.keys(actual).length > 0 &&
        Object.keys(owners).length === Object.keys(actual).length &&
        Object.entries(actual).every(([node, slots]) => owners[node] === slots);
      if (same) current++;
      outcome.errors.push(
        `${worker} client: ${summary.refreshes} slot-map refreshes, the last ${at(summary.lastRefresh)}; slot map at the end ${same ? 'current' : `STALE ${JSON.stringify(summary.owners)} (cluster: ${JSON.stringify(actual)})`}; pool masters ${summary.pool.masters.join(' ')}`,
      );
      for (const event of summary.events)
        outcome.errors.push(
          `  ${event.count} x ${event.what} [${at(event.first)} to ${at(event.last)}]`,
        );
    }
    result.figures.push([
      "workers' slot maps current at the end",
      `${current} of ${outcome.clients.length}`,
    ]);
  }
  if (outcome.flat.expected < 200_000)
    result.failures.push(
      `only ${outcome.flat.expected} feed writes (the drill must make at least 200,000)`,
    );

  // Bring the killed node back: it rejoins as a replica of the promoted one.
  if (killed) {
    const script = fileURLToPath(new URL('../../../scripts/redis-cluster.sh', import.meta.url));
    try {
      await run('bash', [script, 'start'], {
        env: {
          ...process.env,
          REDIS_CLUSTER_BASE_PORT: String(ports[0]),
          REDIS_CLUSTER_REPLICAS: String(ports.length / 3 - 1),
          REDIS_CLUSTER_DIR: clusterDir,
        },
        timeout: 60_000,
      });
      const after = await clusterNodes(ports[0]!);
      const back = after.find((node) => node.id === killed!.id);
      result.figures.push([
        'killed node after restart',
        back
          ? back.flags.includes('slave')
            ? `replica of ${after.find((n) => n.id === back.masterId)?.address}`
            : back.flags.join(',')
          : 'gone',
      ]);
    } catch (error) {
      result.notes.push(`could not restart the killed node: ${String(error).slice(0, 200)}`);
    }
  }
  return finishDrill(result, started);
}

export const drill1Writes = expectedWrites(graph);

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runDrill1();
  console.log(drillTable(result));
  process.exitCode = result.ok || result.skipped ? 0 : 1;
}
