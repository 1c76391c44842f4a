import type { FastifyInstance } from 'fastify';
import { BullmqFanoutQueue } from '@sf/manager/bullmq';
import type { FanoutWorker } from '@sf/manager/bullmq';
import type { Runtime } from '../src/runtime.js';
import { seed } from '../src/seed.js';
import { buildApp } from '../src/server.js';

/** A Cassandra-mode runtime with its BullMQ worker, seeded, and the app on it (not listening). */
export interface CassandraApp {
  app: FastifyInstance;
  worker: FanoutWorker;
  /** Closes the app and worker, resets the app's records, drops the keyspace, closes the runtime. */
  close(): Promise<void>;
}

/** Shared by the single-node and cluster tests of Cassandra mode. */
export async function startCassandraApp(
  runtime: Runtime,
  options: { users: number; pins: number; seed: number; cookieSecret: string },
): Promise<CassandraApp> {
  const queue = runtime.manager.queue;
  if (!(queue instanceof BullmqFanoutQueue)) throw new Error('Cassandra mode fans out on BullMQ');
  const worker = queue.createWorker({ concurrency: 4 });
  await worker.waitUntilReady();
  await seed(runtime, { users: options.users, pins: options.pins, seed: options.seed });
  const app = await buildApp({ runtime, cookieSecret: options.cookieSecret });
  return {
    app,
    worker,
    async close() {
      await app.close();
      await worker.close();
      await runtime.reset();
      await (
        runtime.feeds.normal.storage as unknown as { dropKeyspace(): Promise<void> }
      ).dropKeyspace();
      await runtime.close();
    },
  };
}
