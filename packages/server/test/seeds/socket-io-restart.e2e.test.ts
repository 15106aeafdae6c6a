import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostToken } from '../helpers/host-token.js';
import { type ServerProcess, spawnServer } from '../helpers/server-process.js';
import { ReconnectingIo } from './helpers/reconnecting-io.js';
import { until } from './helpers/seed-script.js';

const clients: ReconnectingIo[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(dir: string, port = 0): Promise<ServerProcess> {
  const server = await spawnServer({ PARLEY_DATA_DIR: dir, PORT: String(port), PARLEY_LOG_LEVEL: 'info' });
  cleanups.push(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await server.exited;
  });
  return server;
}

describe('Socket.IO seeds across a restart', () => {
  it('D5: after a graceful restart (SIGTERM, same port and SQLite file) the standard socket.io-client reconnects by itself and a message sent afterwards arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-io-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await start(dir);
    const [alice, bob] = [
      await hostToken({ sub: '1', username: 'alice' }),
      await hostToken({ sub: '2', username: 'bob' }),
    ];
    // one over the WebSocket, one on HTTP long-polling: both transports come back
    const a = new ReconnectingIo(first.url, alice, ['websocket']);
    const b = new ReconnectingIo(first.url, bob, ['polling']);
    clients.push(a, b);
    await until(() => a.connects === 1 && b.connects === 1, 'both connected');
    expect((await a.request('send_message', { toUserId: 2, content: 'before' })).success).toBe(true);
    await until(() => b.named('new_message').length === 1, 'bob got the first message');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await until(() => a.disconnects.length === 1 && b.disconnects.length === 1, 'both saw the close');
    // what socket.io-client treats as final is "io server disconnect"; anything else it reconnects from
    expect([...a.disconnects, ...b.disconnects]).not.toContain('io server disconnect');

    await start(dir, first.port);
    await until(() => a.connects === 2 && b.connects === 2, 'both reconnected by themselves', 15_000);
    const sent = await a.request('send_message', { toUserId: 2, content: 'after the restart' });
    expect(sent.success).toBe(true);
    await until(() => b.named('new_message').length === 2, 'bob got the message sent after the restart');
    expect(b.named('new_message')[1]).toMatchObject({ content: 'after the restart', fromUserId: 1 });
  }, 60_000);
});
