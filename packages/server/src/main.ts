import cluster from 'node:cluster';
import { createApp } from './app.js';
import { type Config, loadConfig } from './config/config.js';
import { ConfigError } from './config/config-error.js';
import { runWorkers } from './workers.js';

/**
 * Process entry: read config (refusing bad settings by name), start, drain gracefully on SIGTERM / SIGINT.
 * With PARLEY_WORKERS > 1 this process becomes the primary of that many server processes sharing the port.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`parley: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (config.workers > 1 && cluster.isPrimary) return runWorkers(config);
  const app = await createApp(config);
  const port = await app.start();
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  app.log.info(
    {
      url: `http://${shownHost}:${port}`,
      store: config.database.kind === 'sqlite' ? config.database.path : 'postgres',
      bus: config.redis ? 'redis' : 'memory',
    },
    `Parley is listening on http://${shownHost}:${port}`,
  );
  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    app.log.info({ signal }, 'draining: closing connections with 3000 (server restarting, reconnect)');
    app.stop().then(
      () => {
        app.log.info('stopped');
        process.exit(0);
      },
      (err) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`parley: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
