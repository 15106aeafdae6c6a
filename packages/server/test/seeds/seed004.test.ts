import type WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';
import { hostUser } from '../helpers/users.js';
import { type Frame, runSeedScript, ScriptEnv, until } from './helpers/seed-script.js';

const SERVER_KEY = 'seed-004-server-key-0123456789';

describe('seed 004 (go-zero hub): WebSocket /ws envelopes, /health, /stats', () => {
  let server: TestServer;
  let alice: { id: string | number; token: string };
  let bob: { id: string | number; token: string };
  let carol: { id: string | number; token: string };
  let publicGroup: string;
  let privateGroup: string;
  const pages: ScriptEnv[] = [];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startServer({ PARLEY_SERVER_KEY: SERVER_KEY });
    alice = await hostUser(server.app, '1', 'alice');
    bob = await hostUser(server.app, '2', 'bob');
    carol = await hostUser(server.app, '3', 'carol');
    const pub = await rest(server.app, carol.token).post('/v1/groups', { name: 'open', visibility: 'public' });
    publicGroup = String((pub.body as { group: { id: number } }).group.id);
    const priv = await rest(server.app, carol.token).post('/v1/groups', { name: 'closed', visibility: 'private' });
    privateGroup = String((priv.body as { group: { id: number } }).group.id);
  });
  afterEach(() => {
    for (const page of pages.splice(0)) page.dispose();
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** The README's JavaScript client, unchanged but for its two placeholders (server address and token). */
  async function pageWithClient(token: string) {
    const env = new ScriptEnv();
    pages.push(env);
    const script = runSeedScript<{
      ws: WebSocket & { received: Frame[] };
      sendMessage: (g: string, c: string) => void;
    }>('seed004-client.js.txt', {
      globals: env.globals(),
      exports: ['ws', 'sendMessage'],
      fill: { 'ws://localhost:8889/ws': `ws://127.0.0.1:${server.port}/ws`, your_jwt_token_here: token },
    });
    await until(() => env.logged('Authenticated as user:').length === 1, 'auth_success');
    let n = 0;
    /** A request as the README's frames are built: envelope with a unique message_id. */
    const request = async (type: string, data: Frame) => {
      const message_id = `${type}-${++n}`;
      script.ws.send(JSON.stringify({ type, message_id, timestamp: Date.now(), data }));
      await until(() => script.ws.received.some((f) => f.type === 'ack' && f.message_id === message_id), `${type} ack`);
      return script.ws.received.find((f) => f.type === 'ack' && f.message_id === message_id) as Frame;
    };
    return { env, ...script, request };
  }

  it("the README's client authenticates, joins a public group, sends with ack, members get new_message", async () => {
    const a = await pageWithClient(alice.token);
    const b = await pageWithClient(bob.token);
    expect(a.env.logged('Authenticated as user:')).toEqual([['Authenticated as user:', '1']]);
    const authSuccess = a.ws.received[0] as Frame;
    expect(authSuccess).toEqual({
      type: 'auth_success',
      message_id: expect.stringMatching(/^\d+$/),
      timestamp: expect.any(Number),
      data: { user_id: '1' },
    });
    expect(Math.abs((authSuccess.timestamp as number) - Date.now() / 1000)).toBeLessThan(60);

    for (const page of [a, b]) {
      expect(await page.request('join_group', { group_id: publicGroup })).toEqual({
        type: 'ack',
        message_id: expect.any(String),
        timestamp: expect.any(Number),
        data: { message_id: expect.any(String), success: true },
      });
    }

    a.sendMessage(publicGroup, 'hello');
    await until(() => b.env.logged('New message:').length === 1, 'new_message at bob');
    await until(() => a.ws.received.filter((f) => f.type === 'ack').length === 2, 'the ack of the send');
    expect(a.ws.received.filter((f) => f.type === 'ack')[1]?.data).toEqual({
      message_id: expect.stringMatching(/^\d+$/),
      success: true,
    });
    const pushed = b.ws.received.find((f) => f.type === 'new_message') as Frame;
    const data = pushed.data as Frame;
    expect(pushed).toEqual({ type: 'new_message', message_id: data.message_id, timestamp: expect.any(Number), data });
    expect(data).toEqual({
      message_id: expect.stringMatching(/^\d+$/),
      group_id: publicGroup,
      sender_id: '1',
      sender_name: 'alice',
      msg_type: 1,
      content: 'hello',
      seq: 1,
      created_at: expect.any(Number),
    });
    expect(b.env.logged('New message:')).toEqual([['New message:', data]]);

    // mark_read moves bob's read position
    expect((await b.request('mark_read', { group_id: publicGroup, message_id: data.message_id })).data).toEqual({
      message_id: expect.any(String),
      success: true,
    });
    const convs = (await rest(server.app, bob.token).get('/v1/conversations')).body as {
      conversations: { id: string; read_seq: number }[];
    };
    expect(convs.conversations.find((c) => c.id === `g:${publicGroup}`)?.read_seq).toBe(1);

    // the envelope's message_id is the idempotency key: a resent request is stored once
    const resend = {
      type: 'send_message',
      message_id: 'fixed-1',
      timestamp: Date.now(),
      data: { group_id: publicGroup, msg_type: 1, content: 'once' },
    };
    a.ws.send(JSON.stringify(resend));
    a.ws.send(JSON.stringify(resend));
    await until(
      () => a.ws.received.filter((f) => f.type === 'ack' && f.message_id === 'fixed-1').length === 2,
      'two acks',
    );
    const history = (await rest(server.app, alice.token).get(`/v1/conversations/g:${publicGroup}/messages`)).body as {
      messages: { text: string }[];
    };
    expect(history.messages.filter((m) => m.text === 'once')).toHaveLength(1);

    // leave_group: no more messages
    await b.request('leave_group', { group_id: publicGroup });
    const before = b.env.logged('New message:').length;
    a.sendMessage(publicGroup, 'after bob left');
    await until(() => a.ws.received.filter((f) => f.type === 'ack').length >= 5, 'ack of the last send');
    const pong = b.ws.received.length;
    b.ws.send(JSON.stringify({ type: 'ping', message_id: 'p1', timestamp: Date.now() }));
    await until(() => b.ws.received.length > pong, 'pong');
    expect(b.ws.received.at(-1)).toEqual({ type: 'pong', message_id: 'p1', timestamp: expect.any(Number), data: null });
    expect(b.env.logged('New message:')).toHaveLength(before);
  });

  /** A raw socket speaking the seed client's envelopes, authenticated. */
  async function rawClient(token: string) {
    const raw = await TestSocket.open(`ws://127.0.0.1:${server.port}/ws`);
    sockets.push(raw);
    raw.send({ type: 'auth', message_id: 'auth-1', timestamp: Date.now(), data: { token } });
    await raw.next((f) => f.type === 'auth_success');
    /** Sends an envelope and waits for its ack (its message_id is the request's). */
    const request = async (type: string, messageId: string, data: Frame) => {
      const acked = raw.frames.filter((f) => f.type === 'ack' && f.message_id === messageId).length;
      raw.send({ type, message_id: messageId, timestamp: Date.now(), data });
      await until(
        () => raw.frames.filter((f) => f.type === 'ack' && f.message_id === messageId).length > acked,
        `${type} ack`,
      );
      return raw.frames.filter((f) => f.type === 'ack' && f.message_id === messageId).at(-1) as Frame;
    };
    const pushed = (content: string) =>
      raw.frames.filter((f) => f.type === 'new_message' && (f.data as Frame).content === content);
    return { raw, request, pushed };
  }

  it('a send retried with the same message_id is stored once and pushed once to each receiver socket', async () => {
    const created = await rest(server.app, carol.token).post('/v1/groups', { name: 'retries', visibility: 'public' });
    const group = String((created.body as { group: { id: number } }).group.id);
    const sender = await rawClient(alice.token);
    const senderPhone = await rawClient(alice.token);
    const receiver = await rawClient(bob.token);
    const receiverTablet = await rawClient(bob.token);
    await sender.request('join_group', 'j1', { group_id: group });
    await receiver.request('join_group', 'j2', { group_id: group });
    const send = { group_id: group, msg_type: 1, content: 'retried' };

    expect((await sender.request('send_message', 'retry-1', send)).data).toEqual({
      message_id: 'retry-1',
      success: true,
    });
    await until(() => receiver.pushed('retried').length === 1, 'the first push');
    // the ack was lost: the client resends the same request, on the same socket and on another of its sockets
    expect((await sender.request('send_message', 'retry-1', send)).data).toEqual({
      message_id: 'retry-1',
      success: true,
    });
    const late = await rawClient(bob.token); // connected after the original publish
    expect((await senderPhone.request('send_message', 'retry-1', send)).data).toEqual({
      message_id: 'retry-1',
      success: true,
    });
    // a later message is pushed after every republish of the retried one (one conversation, in order)
    await sender.request('send_message', 'after-1', { group_id: group, msg_type: 1, content: 'after' });
    for (const socket of [receiver, receiverTablet, late, senderPhone]) {
      await until(() => socket.pushed('after').length === 1, 'the later message');
    }

    const history = (await rest(server.app, alice.token).get(`/v1/conversations/g:${group}/messages`)).body as {
      messages: { text: string }[];
    };
    expect(history.messages.filter((m) => m.text === 'retried')).toHaveLength(1);
    expect(receiver.pushed('retried')).toHaveLength(1);
    expect(receiverTablet.pushed('retried')).toHaveLength(1);
    expect(late.pushed('retried')).toHaveLength(1); // the republish still reaches a socket that missed the original
    // the sender's other socket was pushed it once (D4); the socket that sent it has it from its ack
    expect(senderPhone.pushed('retried')).toHaveLength(1);
    expect(sender.pushed('retried')).toHaveLength(0);
  });

  it('private groups cannot be joined: ack{success:false} and error{code:403}', async () => {
    const a = await pageWithClient(alice.token);
    const ack = await a.request('join_group', { group_id: privateGroup });
    expect(ack.data).toEqual({ message_id: ack.message_id, success: false });
    expect(a.ws.received.find((f) => f.type === 'error')).toEqual({
      type: 'error',
      message_id: ack.message_id,
      timestamp: expect.any(Number),
      data: { code: 403, message: expect.any(String) },
    });
    const notMember = await a.request('send_message', { group_id: privateGroup, msg_type: 1, content: 'x' });
    expect((notMember.data as Frame).success).toBe(false);
  });

  it('system notifications are pushed as `notification`', async () => {
    const b = await pageWithClient(bob.token);
    const res = await server.app.http.inject({
      method: 'POST',
      url: '/v1/server/notifications',
      headers: { authorization: `Bearer ${SERVER_KEY}` },
      payload: {
        user_id: 2,
        type: 'system',
        title: '维护通知',
        body: '今晚维护',
        data: { level: 1 },
        link: '/notice/1',
      },
    });
    expect(res.statusCode).toBe(201);
    await until(() => b.env.logged('Notification:').length === 1, 'notification');
    const [, data] = b.env.logged('Notification:')[0] as [string, Frame];
    expect(data).toEqual({
      id: expect.any(String),
      type: 'system',
      title: '维护通知',
      content: '今晚维护',
      data: { level: 1 },
      link: '/notice/1',
      created_at: expect.any(Number),
    });
    expect(b.ws.received.find((f) => f.type === 'notification')?.message_id).toBe(data.id);
  });

  it("bad frames get seed 004's error envelope; a bad token gets auth_failed and a close", async () => {
    const raw = await TestSocket.open(`ws://127.0.0.1:${server.port}/ws`);
    sockets.push(raw);
    raw.send({ type: 'ping', timestamp: 1 });
    expect(await raw.next((f) => f.type === 'pong')).toMatchObject({ type: 'pong', data: null });
    raw.send('garbage');
    expect(await raw.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      message_id: expect.any(String),
      timestamp: expect.any(Number),
      data: { code: 400, message: expect.any(String) },
    });
    raw.send({
      type: 'send_message',
      message_id: 'early',
      timestamp: 1,
      data: { group_id: publicGroup, content: 'x' },
    });
    expect(await raw.next((f) => f.type === 'error' && f.message_id === 'early')).toMatchObject({
      data: { code: 401, message: 'not authenticated' },
    });
    raw.send({ type: 'teleport', message_id: 'tp', timestamp: 1, data: {} });
    expect(await raw.next((f) => f.message_id === 'tp')).toMatchObject({ type: 'error', data: { code: 400 } });
    raw.send({ type: 'auth', message_id: 'a1', timestamp: 1, data: { token: 'forged' } });
    expect(await raw.next((f) => f.type === 'auth_failed')).toEqual({
      type: 'auth_failed',
      message_id: 'a1',
      timestamp: expect.any(Number),
      data: { message: expect.any(String) },
    });
    expect((await raw.closed).code).toBe(3500);
  });

  it('GET /health answers OK; GET /stats counts online users', async () => {
    const health = await server.app.http.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.body).toBe('OK');
    const a = await pageWithClient(alice.token);
    expect(a.ws.readyState).toBe(1);
    const stats = await server.app.http.inject({ method: 'GET', url: '/stats' });
    expect(stats.json()).toMatchObject({ online_users: 1 });
  });
});
