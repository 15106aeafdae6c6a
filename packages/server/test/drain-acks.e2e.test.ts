import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WS_PATH } from '@parley/protocol';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { hostToken } from './helpers/host-token.js';
import { rest } from './helpers/rest.js';
import { spawnServer } from './helpers/server-process.js';
import { startServer } from './helpers/test-server.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Frame = { type: string; id?: string; data?: { message?: { client_msg_id: string } } };

describe('graceful drain, frame by frame', () => {
  it('D5: every message stored from a client had its result frame before the 3000 close, even with sends still arriving during the drain', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-drain-'));
    dirs.push(dataDir);
    const server = await spawnServer({
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'info',
      PARLEY_RATE_MESSAGES_PER_SEC: '100000',
      PARLEY_RATE_FRAMES_PER_SEC: '100000',
    });
    const alice = await hostToken({ sub: '1', username: 'alice' });
    const bob = new WebSocket(`ws://127.0.0.1:${server.port}${WS_PATH}?token=${await hostToken({ sub: '2' })}`);
    await new Promise((r) => bob.once('message', r)); // hello: bob exists
    bob.close();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${WS_PATH}?token=${alice}`);
    const before: Frame[] = []; // every frame received, in order, until the close frame
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const firstResult = new Promise<void>((resolve) =>
      ws.on('message', (d) => {
        const f = JSON.parse(d.toString()) as Frame;
        before.push(f);
        if (f.type === 'result') resolve();
      }),
    );
    await new Promise((r) => ws.once('open', r));
    // a stream of sends that goes on until the close: some acknowledged when the signal comes, some on the wire,
    // some arriving while the server drains
    let sent = 0;
    const stream = setInterval(() => {
      for (let i = 0; i < 20 && ws.readyState === WebSocket.OPEN; i++, sent++) {
        ws.send(
          JSON.stringify({
            type: 'msg.send',
            id: `s${sent}`,
            to_user_id: 2,
            text: `m${sent}`,
            client_msg_id: `c${sent}`,
          }),
        );
      }
    }, 1);
    await firstResult;
    server.child.kill('SIGTERM');
    await closed.finally(() => clearInterval(stream));
    expect(await closed).toBe(3000);
    expect(await server.exited).toBe(0);
    const acked = new Set(before.flatMap((f) => (f.type === 'result' ? [f.data?.message?.client_msg_id] : [])));

    const after = await startServer({}, dataDir);
    try {
      const stored: string[] = [];
      for (let after_ = 0; ; ) {
        const page = await rest(after.app, alice).get(`/v1/conversations/dm:1:2/messages?after=${after_}&limit=200`);
        const body = page.body as { messages: { client_msg_id: string; seq: number }[]; has_more: boolean };
        stored.push(...body.messages.map((m) => m.client_msg_id));
        if (!body.has_more || body.messages.length === 0) break;
        after_ = (body.messages.at(-1) as { seq: number }).seq;
      }
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.length).toBeLessThan(sent); // the signal came mid-stream
      expect(stored.filter((id) => !acked.has(id))).toEqual([]);
    } finally {
      await after.stop();
    }
  }, 60_000);
});
