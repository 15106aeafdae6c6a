import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ParleyClient, type ParleyClientOptions } from '../src/index.js';
import { hostToken, recorder, rest, startServer, type TestServer, until } from './kit.js';

let server: TestServer;
const clients: ParleyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await server?.stop();
});

/** Node's `ws`, recording every frame the client sends and receives. */
function recordingWebSocket(sent: Record<string, unknown>[], received: Record<string, unknown>[]) {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data) => received.push(JSON.parse(String(data))));
    }
    override send(data: unknown, ...rest: unknown[]): void {
      sent.push(JSON.parse(String(data)));
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  };
}

describe('how the SDK starts a connection', () => {
  it('C4: the SDK catches up in one round trip: its auth frame carries the sync; hello, the replay, then the result', async () => {
    server = await startServer();
    const alice = await hostToken({ sub: '1' });
    const bobToken = await hostToken({ sub: '2' });
    expect((await rest(server.app, bobToken).get('/v1/users/me')).status).toBe(200); // bob exists, offline
    for (let i = 1; i <= 3; i++) {
      const res = await rest(server.app, alice).post('/v1/messages', {
        to_user_id: 2,
        text: `missed ${i}`,
        client_msg_id: `m-${i}`,
      });
      expect(res.status).toBe(201);
    }
    const sent: Record<string, unknown>[] = [];
    const received: Record<string, unknown>[] = [];
    const bob = new ParleyClient({
      url: server.wsUrl,
      token: bobToken,
      deliveryReceipts: false,
      WebSocket: recordingWebSocket(sent, received) as unknown as ParleyClientOptions['WebSocket'],
    });
    clients.push(bob);
    const seen = recorder(bob);
    let synced = false;
    bob.on('synced', () => {
      synced = true;
    });
    bob.connect();
    await until(() => synced && seen.length === 3, 10_000, 'the catch-up');

    expect(seen.map((m) => m.text)).toEqual(['missed 1', 'missed 2', 'missed 3']);
    expect(sent[0]).toMatchObject({ type: 'auth', sync: { positions: {} } });
    expect(sent.filter((f) => f.type === 'sync')).toEqual([]);
    const syncId = (sent[0] as { sync: { id: string } }).sync.id;
    const start = received.slice(0, 5).map((f) => (f.type === 'result' && f.id === syncId ? 'sync result' : f.type));
    expect(start).toEqual(['hello', 'msg.new', 'msg.new', 'msg.new', 'sync result']);
  });
});
