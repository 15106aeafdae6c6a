import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_PATH } from '@parley/protocol';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { hostToken } from './helpers/host-token.js';
import { spawnServer } from './helpers/server-process.js';
import { startServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('graceful drain of the real process', () => {
  it('D5: SIGTERM mid-burst closes sockets with 3000, exits 0, and every acknowledged message is in the history after restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-proc-'));
    dirs.push(dataDir);
    const env = {
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_RATE_MESSAGES_PER_SEC: '100000',
      PARLEY_RATE_FRAMES_PER_SEC: '100000',
    };
    const first = await spawnServer(env);
    expect(first.stdout.join('\n')).toContain('Parley is listening on http://');
    const alice = await hostToken({ sub: '1', username: 'alice' });
    const bob = await hostToken({ sub: '2', username: 'bob' });
    const wsUrl = `ws://127.0.0.1:${first.port}${WS_PATH}`;
    await (await TestSocket.connect(wsUrl, bob)).close();
    const a = await TestSocket.connect(wsUrl, alice);

    const acked = new Set<string>();
    a.ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.type === 'result' && f.data?.message) acked.add(f.data.message.client_msg_id);
    });
    // a burst that is still in flight when the signal arrives
    for (let i = 0; i < 300; i++)
      a.send({ type: 'msg.send', id: `s${i}`, to_user_id: 2, text: `burst ${i}`, client_msg_id: `b${i}` });
    await a.wait((f) => f.type === 'result', 5000);
    first.child.kill('SIGTERM');
    const closed = await a.closed;
    expect(closed.code).toBe(3000);
    expect(closed.reason).toBe('server restarting, reconnect');
    expect(await first.exited).toBe(0);
    expect(acked.size).toBeGreaterThan(0);

    const second = await spawnServer(env);
    try {
      const b = await TestSocket.connect(`ws://127.0.0.1:${second.port}${WS_PATH}`, bob);
      const page = await b.call<{ messages: { client_msg_id: string; seq: number }[] }>('msg.history', {
        conversation_id: 'dm:1:2',
        limit: 200,
        before: 1_000_000,
      });
      const older = await b.call<{ messages: { client_msg_id: string; seq: number }[] }>('msg.history', {
        conversation_id: 'dm:1:2',
        limit: 200,
        before: page.messages[0]?.seq ?? 1,
      });
      const stored = [...older.messages, ...page.messages];
      const ids = stored.map((m) => m.client_msg_id);
      expect(new Set(ids).size).toBe(ids.length); // no duplicates
      for (const id of acked) expect(ids).toContain(id); // nothing acknowledged is lost
      expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1)); // gap-free
      b.close();
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});

describe('heartbeat sweep', () => {
  it('P2: a peer that answers no pings is closed with 3001 within the timeout; a live one stays', async () => {
    const server = await startServer({ PARLEY_HEARTBEAT_INTERVAL_MS: '200', PARLEY_HEARTBEAT_TIMEOUT_MS: '600' });
    try {
      const token = await hostToken({ sub: '7' });
      const dead = new WebSocket(`${server.wsUrl}?token=${token}`, { autoPong: false });
      const deadClosed = new Promise<number>((r) => dead.on('close', (code) => r(code)));
      const live = await TestSocket.connect(server.wsUrl, token);
      const started = Date.now();
      expect(await deadClosed).toBe(3001);
      expect(Date.now() - started).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 800));
      expect(live.ws.readyState).toBe(WebSocket.OPEN);
      expect((await live.request('ping')).type).toBe('pong');
      live.close();
    } finally {
      await server.stop();
    }
  });
});
