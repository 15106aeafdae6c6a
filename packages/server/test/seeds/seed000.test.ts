import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';
import { hostUser } from '../helpers/users.js';
import { type Frame, runSeedScript, ScriptEnv, until } from './helpers/seed-script.js';

/** Seed 000 prints times to the second with a Z. */
const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

interface MessageClient {
  authenticated: boolean;
  maxReconnectAttempts: number;
  connect(): void;
  disconnect(): void;
  send(data: unknown): void;
  sendPrivateMessage(receiverId: number, content: string): void;
  sendGroupMessage(groupId: number, content: string): void;
  onMessage(handler: (message: Frame) => void): void;
}

describe('seed 000 (Study Buddy): WebSocket /ws and REST /messages', () => {
  let server: TestServer;
  let alice: { id: string | number; token: string };
  let bob: { id: string | number; token: string };
  let carol: { id: string | number; token: string };
  let groupId: number;
  const pages: ScriptEnv[] = [];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startServer();
    alice = await hostUser(server.app, '1', 'alice');
    bob = await hostUser(server.app, '2', 'bob');
    carol = await hostUser(server.app, '3', 'carol');
    const created = await rest(server.app, bob.token).post('/v1/groups', {
      name: '数学学习小组',
      description: '一起学习高等数学',
      member_ids: [alice.id],
    });
    groupId = (created.body as { group: { id: number } }).group.id;
  });
  afterEach(() => {
    for (const page of pages.splice(0)) page.dispose();
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** The README's MessageClient, unchanged, in a page of its own. */
  function pageWithClient(token: string) {
    const env = new ScriptEnv();
    pages.push(env);
    const { MessageClient } = runSeedScript<{ MessageClient: new (url: string, token: string) => MessageClient }>(
      'seed000-message-client.js.txt',
      { globals: env.globals(), exports: ['MessageClient'] },
    );
    const client = new MessageClient(`ws://127.0.0.1:${server.port}/ws`, token);
    const received: Frame[] = [];
    client.onMessage((m) => received.push(m));
    client.connect();
    return { client, env, received, frames: () => env.sockets[0]?.received ?? [] };
  }

  it("the README's MessageClient authenticates, sends private and group messages, and receives them", async () => {
    const a = pageWithClient(alice.token);
    const b = pageWithClient(bob.token);
    await until(() => a.client.authenticated && b.client.authenticated, 'both authenticated');
    expect(a.env.logged('认证成功, User ID:')).toEqual([['认证成功, User ID:', 1]]);
    expect(a.frames()[0]).toEqual({ type: 'authenticated', userId: 1 });

    a.client.sendPrivateMessage(2, '你好！');
    await until(() => b.received.length === 1, 'the private message');
    const dm = b.received[0] as Frame;
    expect(dm).toEqual({
      id: expect.any(Number),
      sender_id: 1,
      receiver_id: 2,
      content: '你好！',
      created_at: expect.stringMatching(ISO_Z),
      sender_username: 'alice',
    });
    expect(b.frames().find((f) => f.type === 'new_message')).toEqual({ type: 'new_message', message: dm });
    await until(() => a.frames().some((f) => f.type === 'message_sent'), 'message_sent');
    expect(a.frames().find((f) => f.type === 'message_sent')).toEqual({
      type: 'message_sent',
      message: { id: dm.id, sender_id: 1, receiver_id: 2, content: '你好！', created_at: dm.created_at },
    });

    a.client.sendGroupMessage(groupId, '大家好！');
    await until(() => b.received.length === 2, 'the group message');
    const g = b.received[1] as Frame;
    expect(g).toEqual({
      id: (dm.id as number) + 1,
      sender_id: 1,
      group_id: groupId,
      content: '大家好！',
      created_at: expect.stringMatching(ISO_Z),
      sender_username: 'alice',
    });
    expect(b.frames().find((f) => f.type === 'new_group_message')).toEqual({ type: 'new_group_message', message: g });
    await until(() => a.frames().filter((f) => f.type === 'message_sent').length === 2, 'second message_sent');
    expect(a.frames().filter((f) => f.type === 'message_sent')[1]).toEqual({
      type: 'message_sent',
      message: { id: g.id, sender_id: 1, group_id: groupId, content: '大家好！', created_at: g.created_at },
    });
    // the sender's own page is not pushed its own message
    expect(a.received).toEqual([]);

    // heartbeat (the client sends one every 60 s; sent here directly through its own send())
    a.client.send({ type: 'heartbeat' });
    await until(() => a.frames().some((f) => f.type === 'heartbeat_ack'), 'heartbeat_ack');
    expect(a.frames().find((f) => f.type === 'heartbeat_ack')).toEqual({ type: 'heartbeat_ack' });

    // the client reconnects and authenticates again by itself after the connection drops
    a.client.maxReconnectAttempts = 1;
    a.env.sockets[0]?.terminate();
    await until(() => a.env.sockets.length === 2 && a.client.authenticated, 'reconnected', 10_000);
  });

  it('REST: private history with limit/offset, total, peer and online status, in the {success, result} envelope', async () => {
    const page = pageWithClient(bob.token);
    await until(() => page.client.authenticated, 'bob online');
    const api = rest(server.app, carol.token);
    const sent: Frame[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await api.post('/messages/user', { receiver_id: 2, content: `第${i}条` });
      expect(res.status).toBe(201);
      const body = res.body as { success: boolean; result: { message: Frame } };
      expect(body.success).toBe(true);
      expect(body.result.message).toEqual({
        id: expect.any(Number),
        sender_id: 3,
        receiver_id: 2,
        content: `第${i}条`,
        created_at: expect.stringMatching(ISO_Z),
      });
      sent.push(body.result.message);
    }
    const res = await api.get('/messages/user/2?limit=2&offset=1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      result: {
        messages: [3, 4].map((i) => ({ ...sent[i - 1], sender_username: 'carol', is_online: false })),
        peer: { id: 2, username: 'bob', email: null, is_online: true },
        total: 5,
      },
    });
    const all = (await rest(server.app, bob.token).get('/messages/user/3')).body as {
      result: { messages: Frame[]; total: number; peer: Frame };
    };
    expect(all.result.messages.map((m) => m.content)).toEqual(['第1条', '第2条', '第3条', '第4条', '第5条']);
    expect(all.result.peer).toEqual({ id: 3, username: 'carol', email: null, is_online: false });
    // a conversation not started yet is empty
    expect((await api.get('/messages/user/1')).body).toEqual({
      success: true,
      result: { messages: [], peer: { id: 1, username: 'alice', email: null, is_online: false }, total: 0 },
    });
  });

  it('REST: group history with the group object; sending to a group; members only', async () => {
    const api = rest(server.app, alice.token);
    const posted = await api.post('/messages/group', { group_id: groupId, content: '今天我们学习微积分！' });
    expect(posted.status).toBe(201);
    const message = (posted.body as { result: { message: Frame } }).result.message;
    expect(message).toEqual({
      id: expect.any(Number),
      sender_id: 1,
      group_id: groupId,
      content: '今天我们学习微积分！',
      created_at: expect.stringMatching(ISO_Z),
    });
    const res = await rest(server.app, bob.token).get(`/messages/group/${groupId}?limit=1`);
    const body = res.body as { success: boolean; result: { messages: Frame[]; group: Frame; total: number } };
    expect(body.success).toBe(true);
    expect(body.result.messages).toEqual([{ ...message, sender_username: 'alice', is_online: false }]);
    expect(body.result.group).toEqual({
      id: groupId,
      name: '数学学习小组',
      description: '一起学习高等数学',
      member_count: 2,
    });
    expect(body.result.total).toBeGreaterThanOrEqual(1);

    const outsider = await rest(server.app, carol.token).get(`/messages/group/${groupId}`);
    expect(outsider.status).toBe(403);
    expect(outsider.body).toEqual({ success: false, error: { code: 'NOT_MEMBER', message: expect.any(String) } });
    const refused = await rest(server.app, carol.token).post('/messages/group', { group_id: groupId, content: 'hi' });
    expect(refused.status).toBe(403);
  });

  it('REST: online status of several users; refusals in the seed envelope', async () => {
    const page = pageWithClient(alice.token);
    await until(() => page.client.authenticated, 'alice online');
    const res = await rest(server.app, bob.token).get('/messages/online?user_ids=1,2,3');
    expect(res.body).toEqual({ success: true, result: { online_users: { '1': true, '2': false, '3': false } } });

    const anonymous = await rest(server.app).get('/messages/user/2');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ success: false, error: { code: 'AUTH_REQUIRED', message: expect.any(String) } });
    const invalid = await server.app.http.inject({
      method: 'POST',
      url: '/messages/user',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      payload: '{"receiver_id": 2,',
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({ success: false, error: { code: 'INVALID_JSON', message: expect.any(String) } });
    const noSuchUser = await rest(server.app, alice.token).post('/messages/user', { receiver_id: 999, content: 'x' });
    expect(noSuchUser.status).toBe(404);
    expect((noSuchUser.body as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('private with client_msg_id: a resend (frame or REST) is stored once and answered with the original; without it, as before', async () => {
    const open = async (token: string) => {
      const raw = await TestSocket.open(`ws://127.0.0.1:${server.port}/ws`);
      sockets.push(raw);
      raw.send({ type: 'auth', token });
      await raw.next((f) => f.type === 'authenticated');
      return raw;
    };
    const a = await open(alice.token);
    const b = await open(bob.token);
    const sent = () => a.events('message_sent').map((f) => f.message as Frame);
    const send = async (frame: Frame) => {
      const before = sent().length;
      a.send(frame);
      await until(() => sent().length > before, 'message_sent');
      return sent().at(-1) as Frame;
    };
    const keyed = { type: 'private', to: 2, content: 'keyed once', client_msg_id: 'sb-1' };
    const first = await send(keyed);
    expect(first).toEqual({
      id: expect.any(Number),
      sender_id: 1,
      receiver_id: 2,
      content: 'keyed once',
      created_at: expect.stringMatching(ISO_Z),
    });
    expect(await send(keyed)).toEqual(first);
    const posted = await rest(server.app, alice.token).post('/messages/user', {
      receiver_id: 2,
      content: 'keyed once',
      client_msg_id: 'sb-1',
    });
    expect((posted.body as { result: { message: Frame } }).result.message).toEqual(first);

    const plain = { type: 'private', to: 2, content: 'no key' };
    const p1 = await send(plain);
    const p2 = await send(plain);
    expect(p2.id).not.toBe(p1.id); // without a key each send is a message, as before
    await until(() => b.events('new_message').some((f) => (f.message as Frame).id === p2.id), 'the last push');
    const pushed = b.events('new_message').map((f) => (f.message as Frame).content);
    expect(pushed.filter((c) => c === 'keyed once')).toHaveLength(1);
    expect(pushed.filter((c) => c === 'no key')).toHaveLength(2);
    const history = (await rest(server.app, bob.token).get('/messages/user/1?limit=50')).body as {
      result: { messages: Frame[] };
    };
    expect(history.result.messages.filter((m) => m.content === 'keyed once').map((m) => m.id)).toEqual([first.id]);

    a.send({ ...keyed, client_msg_id: 'not a key!' });
    expect((await a.next((f) => f.code === 'VALIDATION_FAILED')).type).toBe('error');
  });

  it("bad frames get seed 000's error frame; a bad token is refused and closed", async () => {
    const raw = await TestSocket.open(`ws://127.0.0.1:${server.port}/ws`);
    sockets.push(raw);
    raw.send('not json');
    expect(await raw.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 'INVALID_JSON',
      message: expect.any(String),
    });
    raw.send({ type: 'private', to: 2, content: 'too early' });
    expect(await raw.next((f) => f.type === 'error' && f.code === 'AUTH_REQUIRED')).toEqual({
      type: 'error',
      code: 'AUTH_REQUIRED',
      message: 'Not authenticated',
    });
    raw.send({ type: 'auth', token: alice.token });
    await raw.next((f) => f.type === 'authenticated');
    raw.send({ type: 'dance' });
    expect((await raw.next((f) => f.code === 'UNKNOWN_TYPE')).type).toBe('error');
    raw.send({ type: 'private', to: 2 });
    expect((await raw.next((f) => f.code === 'VALIDATION_FAILED')).type).toBe('error');
    raw.send({ type: 'group', to: 999, content: 'x' });
    expect((await raw.next((f) => f.code === 'NOT_FOUND')).type).toBe('error');

    const forged = await TestSocket.open(`ws://127.0.0.1:${server.port}/ws`);
    sockets.push(forged);
    forged.send({ type: 'auth', token: 'not-a-jwt' });
    expect(await forged.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 'TOKEN_INVALID',
      message: expect.any(String),
    });
    expect((await forged.closed).code).toBe(3500);
  });
});
