import 'fake-indexeddb/auto';
import WebSocket from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startChat } from '../examples/browser-app.js';
import { quickstart } from '../examples/node-quickstart.js';
import type { ParleyClient } from '../src/index.js';
import { client, hostToken, recorder, startServer, type TestServer, until } from './kit.js';

/** The examples of docs/client.md, run as written against a real server. */

let server: TestServer;
const clients: ParleyClient[] = [];
const disposers: (() => void)[] = [];
afterEach(async () => {
  for (const d of disposers.splice(0)) d();
  for (const c of clients.splice(0)) c.disconnect();
  vi.unstubAllGlobals();
  await server?.stop();
});

describe('docs/client.md examples', () => {
  it('the Node quickstart sends a message that the peer receives exactly once', async () => {
    server = await startServer();
    const peer = client({ url: server.wsUrl, token: await hostToken({ sub: '2' }) });
    clients.push(peer);
    const seen = recorder(peer);
    peer.connect();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const bot = await quickstart(server.wsUrl, await hostToken({ sub: '1' }), 2);
    clients.push(bot);
    await until(() => seen.length === 1);
    expect(seen[0]?.text).toBe('Hello from Node');
    await until(() => log.mock.calls.some(([line]) => String(line).startsWith('stored as dm:1:2#1')));
    log.mockRestore();
  });

  it('the browser app keeps the unread badge in the title and shows incoming messages', async () => {
    server = await startServer();
    const store = new Map<string, string>();
    vi.stubGlobal('WebSocket', WebSocket);
    vi.stubGlobal('document', { title: '' });
    vi.stubGlobal('navigator', { userAgent: 'test-browser' });
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    });
    const { client: me, state } = startChat({
      url: server.wsUrl,
      userId: '1',
      getToken: () => hostToken({ sub: '1' }),
    });
    clients.push(me);
    disposers.push(() => state.dispose());
    const friend = client({ url: server.wsUrl, token: await hostToken({ sub: '2' }) });
    clients.push(friend);
    friend.connect();
    await until(() => me.state === 'connected' && friend.state === 'connected');
    await friend.send({ toUserId: 1 }, 'are you there?');
    await friend.send({ toUserId: 1 }, 'hello?');
    await until(
      () => (globalThis as unknown as { document: { title: string } }).document.title === '(2) Chat',
      5000,
      'the badge',
    );
    expect(state.timeline('dm:1:2').map((e) => (e.kind === 'message' ? e.message.text : ''))).toEqual([
      'are you there?',
      'hello?',
    ]);
    expect(store.get('parley-device-id')).toBeTruthy();
  });
});
