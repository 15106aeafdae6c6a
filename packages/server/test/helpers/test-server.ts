import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_PATH } from '@parley/protocol';
import { createApp, type ParleyApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { TEST_SECRET } from './host-token.js';

export interface TestServer {
  app: ParleyApp;
  port: number;
  url: string;
  wsUrl: string;
  dataDir: string;
  /** Stops gracefully and starts a new server on the same data directory (and port). */
  restart(): Promise<TestServer>;
  stop(): Promise<void>;
}

/** A real server on a free port, with its own SQLite file in a temporary directory. */
export async function startServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_DATA_DIR: dir,
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_JWT_SECRET: TEST_SECRET,
    PARLEY_SQLITE_SYNC: 'normal',
    PARLEY_RATE_MESSAGES_PER_SEC: '1000',
    PARLEY_RATE_FRAMES_PER_SEC: '2000',
    PARLEY_PRESENCE_GRACE_MS: '100',
    // Password strength has its own test (hardening/password-strength.test.ts); elsewhere its worker's start-up
    // (about a second of CPU) would be paid by every server.
    PARLEY_PASSWORD_MIN_SCORE: '0',
    // Tests register many users from one address, quickly.
    PARLEY_REGISTER_SOURCE_BURST: '100000',
    // ... and open many sockets from 127.0.0.1, some users many at once.
    PARLEY_MAX_CONNECTIONS_PER_IP: '1000000',
    PARLEY_UPGRADES_PER_IP_PER_SEC: '1000000',
    PARLEY_UPGRADES_PER_IP_BURST: '1000000',
    PARLEY_MAX_CONNECTIONS_PER_USER: '1000000',
    ...env,
  });
  const app = await createApp(config);
  const port = await app.start();
  let stopped = false;
  const server: TestServer = {
    app,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}${WS_PATH}`,
    dataDir: dir,
    async restart() {
      await app.stop();
      stopped = true;
      return startServer({ ...env, PORT: String(port) }, dir);
    },
    async stop() {
      if (!stopped) await app.stop();
      stopped = true;
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
