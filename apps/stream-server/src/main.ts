import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/**
 * Starts the server: `node --conditions=@sf/source --import tsx src/main.ts [config.json]`.
 * The config path defaults to STREAM_SERVER_CONFIG, then ./stream-server.config.json; HOST,
 * PORT, REDIS_URL, REDIS_CLUSTER_NODES, POSTGRES_URL, STREAM_SERVER_STORAGE and STREAM_SERVER_API_KEYS
 * override it. LOG_LEVEL sets the log level (default info; `silent` for none).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv[2]);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const level = process.env.LOG_LEVEL ?? 'info';
  const app = await buildApp({ config, logger: level === 'silent' ? false : { level } });
  if (config.tenants.every((tenant) => tenant.apiKeys.length === 0)) {
    console.warn(
      'stream-server: no API keys are configured; every request but /health will get 401',
    );
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: closing`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  const address = await app.listen({ host: config.host, port: config.port });
  // One line on stdout that scripts (bench/load.ts) wait for.
  console.log(`stream-server listening on ${address} (storage: ${config.storage.type})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
