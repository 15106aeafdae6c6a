import { afterEach, describe, expect, it } from 'vitest';
import { hostToken } from '../helpers/host-token.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';
import { EnginePolling } from './helpers/engine-polling.js';
import { ReconnectingIo } from './helpers/reconnecting-io.js';
import { until } from './helpers/seed-script.js';

let server: TestServer | null = null;
const closers: { close(): void }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c.close();
  await server?.stop();
  server = null;
});

const stats = async () =>
  (await (await fetch(`${server?.url}/stats`)).json()) as { connections: number; online_users: number };

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Socket.IO seeds: heartbeat, handshakes and buffers bounded like every other connection', () => {
  it("P2: idle socket.io-clients stay connected when Parley's heartbeat timeout is below Engine.IO's default ping (25 s)", async () => {
    server = await startServer({ PARLEY_HEARTBEAT_INTERVAL_MS: '300', PARLEY_HEARTBEAT_TIMEOUT_MS: '1000' });
    const token = await hostToken({ sub: '1', username: 'idle' });
    const ws = new ReconnectingIo(server.url, token, ['websocket']);
    const polling = new ReconnectingIo(server.url, token, ['polling']);
    closers.push(ws, polling);
    await until(() => ws.connects === 1 && polling.connects === 1, 'connected');
    await new Promise((r) => setTimeout(r, 2_500));
    expect([ws.disconnects, polling.disconnects]).toEqual([[], []]);
    expect((await stats()).connections).toBe(2);
    // the engine pings at Parley's interval, and its pongs are the sign of life Parley's sweep waits for
    expect((await EnginePolling.open(server.url)).pingInterval).toBe(300);
  });

  it('16.13: an engine connection that never joins the namespace counts in /stats and ends after the auth timeout', async () => {
    server = await startServer({ PARLEY_AUTH_TIMEOUT_MS: '500' });
    const engine = await EnginePolling.open(server.url);
    expect((await stats()).connections).toBe(1);
    await waitFor(async () => (await stats()).connections === 0, 'the handshake to be dropped', 3_000);
    // gone from the engine too, with whatever it had queued
    expect((await engine.poll())?.status).toBe(400);
  });

  it('16.2: a long-polling client that never polls is cut off as a slow consumer while others write to it; the sender is unaffected', async () => {
    server = await startServer({ PARLEY_SEND_BUFFER_BYTES: String(64 * 1024) });
    const victim = await hostToken({ sub: '7', username: 'never-polls' });
    const engine = await EnginePolling.open(server.url);
    await engine.connect(victim);
    await waitFor(async () => (await stats()).online_users === 1, 'the polling client to be attached');
    const sender = await TestSocket.connect(server.wsUrl, await hostToken({ sub: '8', username: 'sender' }));
    closers.push(sender);
    expect((await stats()).connections).toBe(2);

    const text = 'x'.repeat(2_000);
    // 200 messages of 2 KB, six times the 64 KiB bound, pushed to a client that never takes them (sent 10 at a time,
    // so the sender, which reads, stays well within the bound itself)
    for (let i = 0; i < 200; i += 10) {
      await Promise.all(Array.from({ length: 10 }, () => sender.call('msg.send', { to_user_id: 7, text })));
    }
    await waitFor(async () => (await stats()).connections === 1, 'the slow consumer to be cut off', 3_000);
    // its engine connection is gone with its queue (the client reconnects and catches up from the store)
    expect((await engine.poll())?.status).toBe(400);
    expect((await sender.call('msg.send', { to_user_id: 7, text: 'still served' })).message).toBeDefined();
  });
});
