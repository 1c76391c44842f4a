import { buildApp } from './server.js';
import { ConfigError, configFromEnv, createRuntime } from './runtime.js';
import { formatSummary, seed } from './seed.js';
import { ProgressBar } from './progress.js';

/**
 * Starts the web app. Environment: PORT (3000), HOST (127.0.0.1), SF_STORAGE (memory | redis |
 * cassandra), REDIS_URL, SF_SEED_USERS / SF_SEED_PINS (memory mode seeds on start), and the
 * variables in the README.
 */
function port(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3000;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535)
    throw new ConfigError(`PORT must be a port number, got ${JSON.stringify(raw)}`, {
      path: 'PORT',
      value: raw,
    });
  return Number(raw);
}

function count(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`, {
      path: name,
      value: raw,
    });
  return Number(raw);
}

async function main(): Promise<void> {
  const config = configFromEnv();
  const listenPort = port(process.env.PORT);
  const host = process.env.HOST || '127.0.0.1';
  const runtime = await createRuntime(config);

  if (config.storage === 'memory') {
    const users = count(process.env.SF_SEED_USERS, 'SF_SEED_USERS', 40);
    const pins = count(process.env.SF_SEED_PINS, 'SF_SEED_PINS', 400);
    if (users > 0) {
      console.log(`Seeding ${users} people and ${pins} pins (memory storage, in-process fanout)…`);
      const bar = new ProgressBar();
      const summary = await seed(runtime, {
        users,
        pins,
        onProgress: (phase, done, total) => bar.update(phase, done, total),
      });
      bar.done();
      console.log(formatSummary(summary, runtime));
    }
  } else {
    const totals = await runtime.store.totals();
    console.log(`Storage: ${runtime.describe.storage}; fanout: ${runtime.describe.queue}`);
    if (totals.users === 0) {
      console.log(
        'No people yet: run `pnpm --filter @sf/pinterest-example seed` (or join from the browser).',
      );
    } else {
      console.log(`${totals.users} people, ${totals.pins} pins.`);
    }
    console.log(
      'Fanout jobs run in workers: start one or more with `pnpm --filter @sf/pinterest-example worker`.',
    );
  }

  const app = await buildApp({
    runtime,
    closeRuntime: true,
    logger: { level: process.env.LOG_LEVEL || 'warn' },
  });
  await app.listen({ port: listenPort, host });
  const shown =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  console.log(`\nPinstream is running at http://${shown}:${listenPort}/  (Ctrl+C to stop)`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`pinterest-example: ${error.message}`);
  else console.error('pinterest-example failed to start:', error);
  process.exit(1);
});
