import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostToken } from '../helpers/host-token.js';
import { register, rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';
import { errorOf, hostUser } from '../helpers/users.js';

/** Issue 16 item 12: hostile content is refused with a documented code (never 500) and stored as delivered. */

const SERVER_KEY = 'hostile-content-server-key';
let server: TestServer;
const sockets: TestSocket[] = [];

beforeEach(async () => {
  server = await startServer({ PARLEY_SERVER_KEY: SERVER_KEY });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server.stop();
});

/** `{"a":{"a":…1…}}` nested `depth` deep, as JSON text (JSON.stringify itself would overflow on the value). */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

async function pair() {
  const alice = await register(server.app, 'alice');
  const bob = await register(server.app, 'bob');
  const a = await TestSocket.connect(server.wsUrl, alice.token);
  const b = await TestSocket.connect(server.wsUrl, bob.token);
  sockets.push(a, b);
  const sent = await a.call<{ message: { conversation_id: string } }>('msg.send', { to_user_id: bob.id, text: 'hi' });
  return { alice, bob, a, b, conversationId: sent.message.conversation_id };
}

describe('deeply nested metadata (issue 16.12)', () => {
  it('REST: metadata nested 10,000 deep is 400 VALIDATION_FAILED on field metadata, not 500', async () => {
    const { alice, conversationId } = await pair();
    const res = await server.app.http.inject({
      method: 'POST',
      url: `/v1/conversations/${conversationId}/messages`,
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      payload: `{"text":"deep","metadata":${deepJson(10_000)}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res.json())).toMatchObject({ code: 'VALIDATION_FAILED', field: 'metadata' });
  });

  it('WebSocket: the same send gets an error frame VALIDATION_FAILED field metadata; the connection goes on', async () => {
    const { a, bob } = await pair();
    a.send(
      `{"type":"msg.send","id":"deep","to_user_id":${JSON.stringify(bob.id)},"text":"deep","metadata":${deepJson(10_000)}}`,
    );
    const reply = await a.next((f) => f.id === 'deep');
    expect(reply).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED', field: 'metadata' });
    expect((await a.request('ping')).type).toBe('pong');
  });

  it('metadata 32 levels deep is accepted; 33 is refused', async () => {
    const { a, bob } = await pair();
    const ok = await a.request('msg.send', { to_user_id: bob.id, text: 'x', metadata: JSON.parse(deepJson(32)) });
    expect(ok.type).toBe('result');
    const refused = await a.request('msg.send', { to_user_id: bob.id, text: 'x', metadata: JSON.parse(deepJson(33)) });
    expect(refused).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED', field: 'metadata' });
  });

  it('server notifications: data nested 10,000 deep is 400, not 500', async () => {
    const { bob } = await pair();
    const res = await server.app.http.inject({
      method: 'POST',
      url: '/v1/server/notifications',
      headers: { 'x-parley-server-key': SERVER_KEY, 'content-type': 'application/json' },
      payload: `{"user_id":${JSON.stringify(bob.id)},"type":"t","title":"deep","data":${deepJson(10_000)}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res.json())).toMatchObject({ code: 'VALIDATION_FAILED', field: 'data' });
  });
});

describe('lone surrogates (issue 16.12)', () => {
  it('a text with a lone surrogate is refused, live and stored never disagree', async () => {
    const { a, b, bob, alice, conversationId } = await pair();
    // The frame is written by hand: "\ud83d" alone is valid JSON but not valid Unicode text.
    a.send(`{"type":"msg.send","id":"lone","to_user_id":${JSON.stringify(bob.id)},"text":"x\\ud83dy"}`);
    expect(await a.next((f) => f.id === 'lone')).toMatchObject({
      type: 'error',
      code: 'VALIDATION_FAILED',
      field: 'text',
    });
    a.send(
      `{"type":"msg.send","id":"lone-meta","to_user_id":${JSON.stringify(bob.id)},"text":"ok","metadata":{"k":"\\udc00"}}`,
    );
    expect(await a.next((f) => f.id === 'lone-meta')).toMatchObject({ type: 'error', field: 'metadata' });
    // A real emoji (a surrogate pair) goes through, and is stored exactly as delivered.
    await a.call('msg.send', { to_user_id: bob.id, text: 'x😀y', metadata: { k: '😀' } });
    const live = await b.next((f) => f.type === 'msg.new' && (f.message as { text: string }).text === 'x😀y');
    const history = await rest(server.app, alice.token).get(`/v1/conversations/${conversationId}/messages`);
    const texts = (history.body as { messages: { text: string; metadata: unknown }[] }).messages.map((m) => m.text);
    expect(texts).toEqual(expect.arrayContaining(['hi', 'x😀y']));
    expect(texts).toHaveLength(2);
    expect((live.message as { metadata: unknown }).metadata).toEqual({ k: '😀' });
  });

  it('REST: a lone surrogate in text is 400 VALIDATION_FAILED field text', async () => {
    const { alice, conversationId } = await pair();
    const res = await server.app.http.inject({
      method: 'POST',
      url: `/v1/conversations/${conversationId}/messages`,
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      payload: '{"text":"\\udfff"}',
    });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res.json())).toMatchObject({ code: 'VALIDATION_FAILED', field: 'text' });
  });
});

describe('the seeds’ doors check content the same way (issue 16.12)', () => {
  it('seed 000: a lone surrogate over its WebSocket and its REST is refused, and nothing is stored', async () => {
    const alice = await hostUser(server.app, '101', 'alice');
    const bob = await hostUser(server.app, '102', 'bob');
    const ws = await TestSocket.open(`ws://127.0.0.1:${server.port}/ws`);
    sockets.push(ws);
    ws.send({ type: 'auth', token: alice.token });
    await ws.next((f) => f.type === 'authenticated');
    ws.send('{"type":"private","to":102,"content":"x\\ud83d"}');
    expect(await ws.next((f) => f.type === 'error')).toMatchObject({ code: 'VALIDATION_FAILED' });
    const viaRest = await server.app.http.inject({
      method: 'POST',
      url: '/messages/user',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      payload: '{"receiver_id":102,"content":"\\udc00"}',
    });
    expect(viaRest.statusCode).toBe(400);
    const history = await rest(server.app, bob.token).get(`/v1/conversations/dm:101:102/messages`);
    expect((history.body as { messages: unknown[] }).messages).toEqual([]);
  });
});

describe('display names (issue 16.12)', () => {
  it('REST refuses display names with bidi overrides or control characters', async () => {
    const reg = await rest(server.app).post('/v1/auth/register', {
      username: 'mallory',
      password: 'correct-horse-battery',
      display_name: 'Mallory\u202Egnp.exe',
    });
    expect(reg.status).toBe(400);
    expect(errorOf(reg.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'display_name' });
    const alice = await register(server.app, 'alice');
    for (const name of ['Bell\u0007', 'Line\nbreak', 'Iso\u2066late', 'Del\u007F']) {
      const res = await rest(server.app, alice.token).patch('/v1/users/me', { display_name: name });
      expect(res.status).toBe(400);
      expect(errorOf(res.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'display_name' });
    }
    const fine = await rest(server.app, alice.token).patch('/v1/users/me', { display_name: 'Ålice 😀 עברית' });
    expect(fine.status).toBe(200);
  });

  it('names in a host token’s claims are sanitised, not refused', async () => {
    const token = await hostToken({ sub: '777', username: 'mal\u202Elory', name: '\u0007Mallory\u202Egnp.exe\u2069 ' });
    const res = await rest(server.app, token).get('/v1/users/me');
    expect(res.status).toBe(200);
    expect((res.body as { user: { username: string; display_name: string } }).user).toMatchObject({
      username: 'mallory',
      display_name: 'Mallorygnp.exe',
    });
  });

  it('the server-to-server API refuses unsafe names too', async () => {
    const res = await server.app.http.inject({
      method: 'PUT',
      url: '/v1/server/users/888',
      headers: { 'x-parley-server-key': SERVER_KEY },
      payload: { display_name: 'Eve\u202E' },
    });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res.json())).toMatchObject({ code: 'VALIDATION_FAILED', field: 'display_name' });
  });
});
