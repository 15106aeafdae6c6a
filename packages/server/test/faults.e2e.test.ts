import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_PATH } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosProxy, seededRandom } from './helpers/chaos-proxy.js';
import { burst, makeFleet, setupGroup, verify, waitUntil } from './helpers/cluster-faults.js';
import { type ServerProcess, spawnServer } from './helpers/server-process.js';
import { startServer, type TestServer } from './helpers/test-server.js';

/**
 * Proof under faults (D1, D2, D3, D4, C1, U1): connections cut at random moments during a burst, the server
 * killed with SIGKILL and restarted mid-burst, clients retrying blindly. Afterwards every acknowledged message is
 * stored exactly once, every device holds the complete, ordered, duplicate-free sequence of each of its
 * conversations, and unread counts equal what the read positions imply.
 */

let server: TestServer | null = null;
let proxy: ChaosProxy | null = null;
let processes: ServerProcess[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await proxy?.stop();
  await server?.stop();
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const c of cleanups.splice(0)) c();
  server = null;
  proxy = null;
  processes = [];
});

describe('delivery under faults', () => {
  it('D1 D2 D3 D4 C1 U1 R5: random connection cuts during a burst, devices confirming delivery and reads, lose nothing and duplicate nothing', async () => {
    server = await startServer({ PARLEY_RATE_MESSAGES_PER_SEC: '100000', PARLEY_RATE_FRAMES_PER_SEC: '100000' });
    proxy = new ChaosProxy(server.port);
    const port = await proxy.start();
    const url = `ws://127.0.0.1:${port}${WS_PATH}`;
    const random = seededRandom(20261121);
    const cluster = await makeFleet(url, 2);
    await setupGroup(server.wsUrl, server.url, cluster.tokens);

    for (const c of cluster.clients) c.start();
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        await new Promise((r) => setTimeout(r, 5 + random() * 20));
        if (random() < 0.15) proxy?.cutAll();
        else proxy?.cutRandom(random);
        // reads race the cuts too
        for (const c of cluster.clients) {
          const pos = c.positions();
          const conv = Object.keys(pos)[Math.floor(random() * Object.keys(pos).length)];
          if (conv && random() < 0.3) c.markRead(conv, pos[conv] as number);
        }
      }
    })();
    const perClient = 500;
    await burst(cluster.clients, perClient, random, 6);
    await waitUntil(() => cluster.clients.every((c) => c.outbox.length === 0), 60_000, 'every outbox to drain');
    cutting = false;
    await cutter;
    const figures = await verify(server.wsUrl, cluster, 'proxy cuts', { cuts: proxy.cuts });
    expect(figures.messages).toBe(cluster.clients.length * perClient);
    expect(figures.cuts).toBeGreaterThan(50);
    for (const c of cluster.clients) c.stop();
  }, 120_000);

  it('D1 D2 D3 C1 R5: the server killed with SIGKILL mid-burst (devices confirming delivery) and restarted loses no acknowledged message', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const env = {
      PORT: String(port),
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_RATE_MESSAGES_PER_SEC: '100000',
      PARLEY_RATE_FRAMES_PER_SEC: '100000',
    };
    processes.push(await spawnServer(env));
    const url = `ws://127.0.0.1:${port}${WS_PATH}`;
    const random = seededRandom(7);
    const cluster = await makeFleet(url, 1);
    await setupGroup(url, `http://127.0.0.1:${port}`, cluster.tokens);
    for (const c of cluster.clients) c.start();

    let restarts = 0;
    const sending = burst(cluster.clients, 200, random);
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 150 + random() * 150));
      const current = processes.at(-1) as ServerProcess;
      current.child.kill('SIGKILL');
      await current.exited;
      await new Promise((r) => setTimeout(r, 50));
      processes.push(await spawnServer(env));
      restarts++;
    }
    await sending;
    await waitUntil(() => cluster.clients.every((c) => c.outbox.length === 0), 60_000, 'every outbox to drain');
    const figures = await verify(url, cluster, 'SIGKILL restarts', { restarts });
    expect(figures.messages).toBe(cluster.clients.length * 200);
    for (const c of cluster.clients) c.stop();
  }, 120_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
