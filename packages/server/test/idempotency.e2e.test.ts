import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostToken } from './helpers/host-token.js';
import { rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';

let server: TestServer;
const sockets: TestSocket[] = [];
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server.stop();
});
const connect = async (token: string) => {
  const s = await TestSocket.connect(server.wsUrl, token);
  sockets.push(s);
  return s;
};

type Sent = { message: { id: string; seq: number; created_at: string; client_msg_id: string }; duplicate: boolean };

describe('idempotent send (D2)', () => {
  it('D2: a retry on another connection, over WebSocket or REST, returns the original message and one row', async () => {
    const alice = await hostToken({ sub: '1' });
    await connect(await hostToken({ sub: '2' }));
    const first = await (await connect(alice)).call<Sent>('msg.send', {
      to_user_id: 2,
      text: 'once',
      client_msg_id: 'k-1',
    });
    const again = await (await connect(alice)).call<Sent>('msg.send', {
      to_user_id: 2,
      text: 'once',
      client_msg_id: 'k-1',
    });
    const viaRest = await rest(server.app, alice).post('/v1/conversations/dm:1:2/messages', {
      text: 'once',
      client_msg_id: 'k-1',
    });
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ message: first.message, duplicate: true });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body).toEqual({ message: first.message, duplicate: true });
    const page = await rest(server.app, alice).get('/v1/conversations/dm:1:2/messages');
    expect((page.body as { messages: unknown[] }).messages).toHaveLength(1);
  });

  it('D2: a retry of a stored message gets the original even after the peer blocked the sender', async () => {
    const alice = await hostToken({ sub: '1' });
    const bob = await hostToken({ sub: '2' });
    await connect(bob);
    const a = await connect(alice);
    const first = await a.call<Sent>('msg.send', { to_user_id: 2, text: 'before the block', client_msg_id: 'k-2' });
    expect((await rest(server.app, bob).put('/v1/blocks/1')).status).toBe(204);
    const retry = await a.call<Sent>('msg.send', { to_user_id: 2, text: 'before the block', client_msg_id: 'k-2' });
    expect(retry).toEqual({ message: first.message, duplicate: true });
    const fresh = await a.request('msg.send', { to_user_id: 2, text: 'after the block', client_msg_id: 'k-3' });
    expect(fresh).toMatchObject({ type: 'error', code: 'BLOCKED' });
  });

  it('D2: a client_msg_id is the sender’s own: another user may use the same one', async () => {
    await connect(await hostToken({ sub: '3' }));
    const a = await (await connect(await hostToken({ sub: '1' }))).call<Sent>('msg.send', {
      to_user_id: 3,
      text: 'a',
      client_msg_id: 'same',
    });
    const b = await (await connect(await hostToken({ sub: '2' }))).call<Sent>('msg.send', {
      to_user_id: 3,
      text: 'b',
      client_msg_id: 'same',
    });
    expect(a.duplicate || b.duplicate).toBe(false);
    expect(a.message.id).not.toBe(b.message.id);
  });
});

describe('auth frame with a malformed device', () => {
  it('gets VALIDATION_FAILED and the connection stays open for a corrected auth', async () => {
    const s = await TestSocket.open(server.wsUrl);
    sockets.push(s);
    const token = await hostToken({ sub: '5' });
    s.send({ type: 'auth', id: 'a1', token, device: { id: 'has spaces!' } });
    const err = await s.next((f) => f.type === 'error' && f.id === 'a1');
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', field: 'device.id' });
    s.send({ type: 'auth', id: 'a2', token, device: { id: 'phone-5' } });
    const hello = await s.next((f) => f.type === 'hello');
    expect(hello).toMatchObject({ id: 'a2', device_id: 'phone-5' });
  });
});

describe('retries after a crash between store and publish', () => {
  it('D2 D4: a retry of a stored message publishes it again, so devices that missed it get it, each device once', async () => {
    const bob = await connect(await hostToken({ sub: '2' }));
    const a = await connect(await hostToken({ sub: '1' }));
    const first = await a.call<Sent>('msg.send', { to_user_id: 2, text: 'maybe lost', client_msg_id: 'k-9' });
    await bob.next((f) => f.type === 'msg.new');
    const bobLater = await connect(await hostToken({ sub: '2' })); // missed the original publish
    await a.call<Sent>('msg.send', { to_user_id: 2, text: 'maybe lost', client_msg_id: 'k-9' });
    const after = await a.call<Sent>('msg.send', { to_user_id: 2, text: 'after', client_msg_id: 'k-10' });
    for (const device of [bob, bobLater]) {
      await device.next((f) => f.type === 'msg.new' && (f.message as { id: string }).id === after.message.id);
    }
    const ids = (device: typeof bob) => device.events('msg.new').map((f) => (f.message as { id: string }).id);
    expect(ids(bob)).toEqual([first.message.id, after.message.id]);
    expect(ids(bobLater)).toEqual([first.message.id, after.message.id]);
  });
});
