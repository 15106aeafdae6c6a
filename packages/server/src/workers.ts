import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config/config.js';
import { createLogger } from './logger.js';

/**
 * The primary process of PARLEY_WORKERS > 1: forks that many server processes, which share the listening port
 * (node:cluster hands each new connection to one of them) and reach each other over the Redis bus, so one machine
 * holds more connections than one process may open files, on every core. The primary holds no connection itself.
 * Guarantees: a worker that dies is replaced (after 1 s, so a crash loop cannot spin); SIGTERM / SIGINT drain
 * every worker gracefully (each closes its sockets with 3000) and the primary exits once all have.
 */
export function runWorkers(config: Config): void {
  const log = createLogger(config.logLevel, `${config.nodeId}-primary`);
  let stopping = false;
  // Each worker is a node of its own: <node id>-w<n> (a replacement takes over its predecessor's name).
  const names = new Map<Worker, string>();
  const fork = (name: string): void => {
    names.set(cluster.fork({ PARLEY_NODE_ID: name }), name);
  };
  for (let i = 1; i <= config.workers; i++) fork(`${config.nodeId}-w${i}`);
  log.info({ workers: config.workers }, `started ${config.workers} Parley worker processes`);

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        log.info('all workers stopped');
        process.exit(0);
      }
      return;
    }
    const name = names.get(worker) ?? `${config.nodeId}-w${names.size + 1}`;
    names.delete(worker);
    log.error({ pid: worker.process.pid, worker: name, code, signal }, 'worker died; starting a new one in 1 s');
    setTimeout(() => fork(name), 1_000);
  });

  const shutdown = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'draining every worker');
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const w of workers) w?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
