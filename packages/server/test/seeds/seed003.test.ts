import { dmConversationId } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';
import { befriend, hostUser } from '../helpers/users.js';
import { createHookRuntime } from './helpers/hook-runner.js';
import { type Frame, runSeedScript, ScriptEnv, until } from './helpers/seed-script.js';

const SERVER_KEY = 'seed-003-server-key-0123456789';
const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

interface HookValue {
  isConnected: boolean;
  messages: Frame[];
  onlineCount: number;
  sendMessage(message: unknown): void;
  setTyping(isTyping: boolean, context: string): void;
  setPresence(status: string, data?: Record<string, unknown>): void;
}

type User = { id: string | number; token: string };

describe('seed 003 (FastAPI): WebSocket /api/v1/ws?token= and REST /api/v1', () => {
  let server: TestServer;
  let alice: User;
  let bob: User;
  let carol: User;
  const cleanups: (() => void)[] = [];
  const wsBase = () => `ws://127.0.0.1:${server.port}`;

  beforeAll(async () => {
    server = await startServer({ PARLEY_SERVER_KEY: SERVER_KEY });
    alice = await hostUser(server.app, '1', 'alice');
    bob = await hostUser(server.app, '2', 'bob');
    carol = await hostUser(server.app, '3', 'carol');
    await befriend(server.app, alice, bob);
  });
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** The README's React hook, unchanged (its host placeholder filled in), mounted as a component would. */
  function mountHook(token: string) {
    const env = new ScriptEnv();
    const react = createHookRuntime();
    const notifications: { title: string; body: string }[] = [];
    class Notification {
      static permission = 'granted';
      constructor(title: string, options: { body: string }) {
        notifications.push({ title, body: options.body });
      }
    }
    const { useWebSocket } = runSeedScript<{ useWebSocket: (token: string) => HookValue }>(
      'seed003-use-websocket.js.txt',
      {
        globals: { ...env.globals(), ...react.hooks, Notification },
        exports: ['useWebSocket'],
        fill: { 'ws://localhost:8000': wsBase() },
      },
    );
    const view = react.render(useWebSocket, token);
    cleanups.push(() => {
      view.unmount();
      env.dispose();
    });
    return { view, env, notifications, frames: () => env.sockets[0]?.received ?? [] };
  }

  async function canonical(token: string) {
    const socket = await TestSocket.connect(`${wsBase()}/v1/ws`, token);
    cleanups.push(() => socket.close());
    return socket;
  }

  it("the README's useWebSocket hook: welcome with online count, user_status, chat, notification", async () => {
    const bobSocket = await canonical(bob.token);
    const a = mountHook(alice.token);
    await until(() => a.view.result.current.isConnected && a.view.result.current.onlineCount === 2, 'connected');
    expect(a.frames()[0]).toEqual({
      type: 'connected',
      data: { message: '欢迎, alice!', user_id: 1, online_count: 2 },
    });

    // a friend comes online: user_status online -> the hook counts one more
    const c = mountHook(carol.token); // not a friend: alice is not told
    await until(() => c.view.result.current.onlineCount === 3, 'carol connected');
    await befriend(server.app, alice, carol);
    cleanups.splice(cleanups.length - 1, 1)[0]?.();
    await until(
      () => a.frames().some((f) => f.type === 'user_status' && f.data && (f.data as Frame).status === 'offline'),
      'carol offline',
    );
    expect(a.frames().find((f) => f.type === 'user_status')).toEqual({
      type: 'user_status',
      data: { user_id: 3, status: 'offline', timestamp: expect.stringMatching(ISO_Z) },
    });
    expect(a.view.result.current.onlineCount).toBe(1);
    mountHook(carol.token);
    await until(() => a.view.result.current.onlineCount === 2, 'carol back: counted again');
    expect(
      a
        .frames()
        .filter((f) => f.type === 'user_status')
        .at(-1)?.data,
    ).toMatchObject({ user_id: 3, status: 'online' });

    // chat from a canonical user arrives as `chat` and lands in the hook's messages
    await bobSocket.call('msg.send', { to_user_id: 1, text: 'Hello!', client_msg_id: 'b-1' });
    await until(() => a.view.result.current.messages.some((m) => m.type === 'chat'), 'chat');
    const chat = a.view.result.current.messages.find((m) => m.type === 'chat') as Frame;
    expect(chat).toEqual({
      type: 'chat',
      data: {
        from_user_id: 2,
        from_username: 'bob',
        message: 'Hello!',
        timestamp: expect.stringMatching(ISO_Z),
        message_id: expect.any(Number),
        conversation_id: dmConversationId('1', '2'),
      },
      timestamp: (chat.data as Frame).timestamp,
    });

    // a notification is shown (browser Notification) and kept
    const res = await server.app.http.inject({
      method: 'POST',
      url: '/v1/server/notifications',
      headers: { authorization: `Bearer ${SERVER_KEY}` },
      payload: {
        user_id: 1,
        type: 'new_follower',
        title: '新粉丝',
        body: '用户 John 关注了你',
        data: { follower_id: 456 },
        link: '/users/456',
      },
    });
    expect(res.statusCode).toBe(201);
    await until(() => a.notifications.length === 1, 'browser notification');
    expect(a.notifications).toEqual([{ title: '新粉丝', body: '用户 John 关注了你' }]);
    expect(a.view.result.current.messages.find((m) => m.type === 'notification')).toEqual({
      type: 'notification',
      notification_type: 'new_follower',
      data: {
        id: expect.any(Number),
        type: 'new_follower',
        title: '新粉丝',
        message: '用户 John 关注了你',
        data: { follower_id: 456 },
        link: '/users/456',
        created_at: expect.stringMatching(ISO_Z),
      },
      timestamp: expect.stringMatching(ISO_Z),
    });
  });

  it('the hook sends messages, typing (in a conversation context) and presence; others receive them', async () => {
    const bobHook = mountHook(bob.token);
    const a = mountHook(alice.token);
    await until(() => a.view.result.current.isConnected && bobHook.view.result.current.isConnected, 'both connected');
    await until(() => a.frames().some((f) => f.type === 'connected'), 'welcome');

    a.view.result.current.sendMessage({
      type: 'message',
      to_user_id: 2,
      message: 'Hi Bob',
      timestamp: new Date().toISOString(),
    });
    await until(() => bobHook.view.result.current.messages.some((m) => m.type === 'chat'), 'bob got chat');
    const chat = bobHook.view.result.current.messages.find((m) => m.type === 'chat') as Frame;
    expect((chat.data as Frame).message).toBe('Hi Bob');
    // echoed to the sender's socket too
    await until(() => a.view.result.current.messages.some((m) => m.type === 'chat'), 'echo');

    const dm = dmConversationId('1', '2');
    a.view.result.current.setTyping(true, dm);
    await until(() => bobHook.frames().some((f) => f.type === 'typing'), 'typing');
    expect(bobHook.frames().find((f) => f.type === 'typing')).toEqual({
      type: 'typing',
      data: { user_id: 1, is_typing: true, context: dm, conversation_id: dm },
    });
    // a free-form context (the README's 'main') reaches no one and is not an error
    a.view.result.current.setTyping(false, 'main');

    a.view.result.current.setPresence('busy', { device: 'mobile' });
    await until(() => bobHook.frames().some((f) => f.type === 'presence'), 'presence');
    expect(bobHook.frames().find((f) => f.type === 'presence')).toEqual({
      type: 'presence',
      data: { user_id: 1, status: 'busy', data: { device: 'mobile' } },
    });
    const status = (await rest(server.app, bob.token).get('/v1/users/1')).body as { presence: { status: string } };
    expect(status.presence.status).toBe('busy');
    expect(a.frames().some((f) => f.type === 'error')).toBe(false);
  });

  it('message with client_msg_id: a resend is stored once and pushed once to each socket; without it, as before', async () => {
    const open = async (token: string) => {
      const ws = await TestSocket.open(`${wsBase()}/api/v1/ws`, { token });
      cleanups.push(() => ws.close());
      await ws.next((f) => f.type === 'connected');
      return ws;
    };
    const a = await open(alice.token);
    const b = await open(bob.token);
    const chats = (ws: TestSocket, text: string) =>
      ws
        .events('chat')
        .filter((f) => (f.data as Frame).message === text)
        .map((f) => (f.data as Frame).message_id);
    const keyed = { type: 'message', to_user_id: 2, message: 'keyed once', client_msg_id: 'sc-1' };
    a.send(keyed);
    await until(() => chats(a, 'keyed once').length === 1 && chats(b, 'keyed once').length === 1, 'the first push');
    // seed 003 has no acknowledgement: a socket that missed the original shows when a resend's republish is out
    const late1 = await open(bob.token);
    a.send(keyed); // resent on the same socket
    await until(() => chats(late1, 'keyed once').length === 1, 'the republish of the first resend');
    const aPhone = await open(alice.token);
    const late2 = await open(bob.token);
    aPhone.send(keyed); // resent from another socket of the sender
    await until(() => chats(late2, 'keyed once').length === 1, 'the republish of the second resend');
    const plain = { type: 'message', to_user_id: 2, message: 'no key' };
    a.send(plain);
    a.send(plain);
    await until(() => chats(b, 'no key').length === 2, 'the later pushes');
    // a round trip on each socket: every frame queued to it before has arrived
    for (const ws of [a, b, aPhone, late1, late2]) {
      const pong = ws.wait((f) => f.type === 'pong');
      ws.send({ type: 'ping' });
      await pong;
    }

    const [first] = chats(a, 'keyed once');
    for (const ws of [a, b, aPhone, late1, late2]) expect(chats(ws, 'keyed once')).toEqual([first]);
    expect(new Set(chats(b, 'no key')).size).toBe(2); // without a key each send is a message, as before
    const history = (
      await rest(server.app, alice.token).get(`/v1/conversations/${dmConversationId('1', '2')}/messages`)
    ).body as { messages: { id: string; text: string }[] };
    expect(history.messages.filter((m) => m.text === 'keyed once').map((m) => Number(m.id))).toEqual([first]);
    expect(a.frames.some((f) => f.type === 'error')).toBe(false);
    a.send({ ...keyed, client_msg_id: 'not a key!' });
    expect(await a.next((f) => f.type === 'error')).toMatchObject({ error_code: 'MESSAGE_PROCESSING_ERROR' });
  });

  it("ping -> pong; bad frames get seed 003's error codes; no token is refused", async () => {
    const ws = await TestSocket.open(`${wsBase()}/api/v1/ws`, { token: alice.token });
    cleanups.push(() => ws.close());
    await ws.next((f) => f.type === 'connected');
    ws.send({ type: 'ping', timestamp: new Date().toISOString() });
    expect(await ws.next((f) => f.type === 'pong')).toEqual({ type: 'pong', timestamp: expect.stringMatching(ISO_Z) });
    const error = (code: string) => ({
      type: 'error',
      error_code: code,
      message: expect.any(String),
      timestamp: expect.stringMatching(ISO_Z),
    });
    ws.send('{oops');
    expect(await ws.next((f) => f.error_code === 'INVALID_JSON')).toEqual(error('INVALID_JSON'));
    ws.send([1, 2]);
    expect(await ws.next((f) => f.error_code === 'INVALID_MESSAGE')).toEqual(error('INVALID_MESSAGE'));
    ws.send({ type: 'dance' });
    expect(await ws.next((f) => f.error_code === 'UNKNOWN_MESSAGE_TYPE')).toEqual(error('UNKNOWN_MESSAGE_TYPE'));
    ws.send({ type: 'message', to_user_id: 'nobody-here', message: 'hi' });
    expect(await ws.next((f) => f.error_code === 'MESSAGE_PROCESSING_ERROR')).toEqual(
      error('MESSAGE_PROCESSING_ERROR'),
    );
    ws.send({ type: 'presence', status: 'dancing' });
    expect(
      (await ws.next((f) => f.error_code === 'MESSAGE_PROCESSING_ERROR' && String(f.message).includes('status'))).type,
    ).toBe('error');

    const anonymous = await TestSocket.open(`${wsBase()}/api/v1/ws`);
    cleanups.push(() => anonymous.close());
    anonymous.send({ type: 'ping' });
    expect(await anonymous.next((f) => f.type === 'error')).toMatchObject({ error_code: 'AUTHENTICATION_FAILED' });
    expect((await anonymous.closed).code).toBe(3500);
    const forged = await TestSocket.open(`${wsBase()}/api/v1/ws`, { token: 'forged' });
    expect(await forged.next((f) => f.type === 'error')).toMatchObject({ error_code: 'AUTHENTICATION_FAILED' });
    expect((await forged.closed).code).toBe(3500);
  });

  it('REST: online list, online count and one user status, field by field', async () => {
    const a = mountHook(alice.token);
    await until(() => a.view.result.current.isConnected, 'alice connected');
    await until(() => a.frames().some((f) => f.type === 'connected'), 'welcome');
    const api = rest(server.app, bob.token);
    const list = await api.get('/api/v1/online?limit=100');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      online_count: 1,
      users: [{ user_id: 1, online: true, last_seen: expect.stringMatching(ISO_Z), connections_count: 1 }],
    });
    expect((await api.get('/api/v1/online/count')).body).toEqual({ online_count: 1 });
    expect((await api.get('/api/v1/status/1')).body).toEqual({
      user_id: 1,
      online: true,
      last_seen: expect.stringMatching(ISO_Z),
      connections_count: 1,
    });
    expect((await api.get('/api/v1/status/3')).body).toEqual({
      user_id: 3,
      online: false,
      last_seen: expect.stringMatching(ISO_Z),
      connections_count: 0,
    });
    const missing = await api.get('/api/v1/status/404');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: expect.any(String) });
    const anonymous = await rest(server.app).get('/api/v1/online/count');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ detail: expect.any(String) });
  });
});
