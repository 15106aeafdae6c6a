import { dmConversationId } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { befriend, hostUser } from '../helpers/users.js';
import { connectError, IoClient, type Payload } from './helpers/io-client.js';

const SERVER_KEY = 'seed-001-server-key-0123456789';
/** Seed 001's records are Prisma JSON: ISO times with milliseconds. */
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

type User = { id: string | number; token: string };

describe('seed 001 (Socket.IO chat + system notifications): JWT handshake, /api/messages', () => {
  let server: TestServer;
  let alice: User;
  let bob: User;
  let carol: User;
  const clients: IoClient[] = [];
  const url = () => `http://127.0.0.1:${server.port}`;
  const connect = async (user: User, transports?: string[]) => {
    const c = await IoClient.connect(url(), { auth: { token: user.token }, ...(transports ? { transports } : {}) });
    clients.push(c);
    return c;
  };
  const notify = (payload: Payload) =>
    server.app.http.inject({
      method: 'POST',
      url: '/v1/server/notifications',
      headers: { authorization: `Bearer ${SERVER_KEY}` },
      payload,
    });

  beforeAll(async () => {
    server = await startServer({ PARLEY_DM_POLICY: 'friends', PARLEY_SERVER_KEY: SERVER_KEY });
    alice = await hostUser(server.app, '1', 'alice');
    bob = await hostUser(server.app, '2', 'bob');
    carol = await hostUser(server.app, '3', 'carol');
    await befriend(server.app, alice, bob);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('chat between friends: online lists, send with ack, new_message, mark_read -> messages_read, offline', async () => {
    const a = await connect(alice); // long-polling first, then the WebSocket upgrade
    expect(await a.next('online_users')).toEqual({ userIds: [] });
    const b = await connect(bob, ['websocket']);
    expect(await b.next('online_users')).toEqual({ userIds: [1] });
    expect(await a.next('user_online')).toEqual({ userId: 2, status: 'online' });

    const sent = await a.request('send_message', { toUserId: 2, content: '你好', tempId: 'tmp-1' });
    const message = {
      id: expect.stringMatching(/^\d+$/),
      fromUserId: 1,
      toUserId: 2,
      messageType: 'CHAT',
      content: '你好',
      metadata: null,
      isRead: false,
      createdAt: expect.stringMatching(ISO_MS),
      deletedAt: null,
    };
    expect(sent).toEqual({ success: true, message, tempId: 'tmp-1' });
    expect(await b.next('new_message')).toEqual({
      ...message,
      id: (sent.message as Payload).id,
      fromUser: { id: 1, username: 'alice', nickname: 'alice', avatar: null },
    });
    // a resend with the same tempId is the same message (idempotent)
    const again = await a.request('send_message', { toUserId: 2, content: '你好', tempId: 'tmp-1' });
    expect((again.message as Payload).id).toBe((sent.message as Payload).id);

    expect(await b.request('mark_read', { fromUserId: 1 })).toEqual({ success: true, unreadCount: 0, totalUnread: 0 });
    expect(await a.next('messages_read')).toEqual({
      readerId: 2,
      conversationId: dmConversationId('1', '2'),
      readSeq: 1,
    });
    expect(await b.next('unread_count')).toEqual({ conversationId: 'dm:1:2', unreadCount: 0, totalUnread: 0 });
    expect(await a.request('get_online_users', {})).toEqual({ success: true, userIds: [2] });

    // an emit without acknowledgement is answered with <event>_response
    a.socket.emit('send_message', { toUserId: 2, content: 'no ack', tempId: 'tmp-2' });
    expect(await a.next('send_message_response')).toMatchObject({ success: true, tempId: 'tmp-2' });

    b.close();
    expect(await a.next('user_offline')).toEqual({ userId: 2, lastSeen: expect.stringMatching(ISO_MS) });
  });

  it("U1: the mark_read ack's totalUnread is /api/messages/unread/count's chat: direct messages only, group messages are not the seed's", async () => {
    const dave = await hostUser(server.app, '4', 'dave');
    const erin = await hostUser(server.app, '5', 'erin');
    await befriend(server.app, dave, erin);
    await befriend(server.app, carol, erin); // under the friends-only policy, only a friend may put erin in a group
    const group = await rest(server.app, carol.token).post('/v1/groups', { name: 'g', member_ids: [5] });
    expect(group.status).toBe(201);
    const conv = `g:${(group.body as { group: { id: number } }).group.id}`;
    for (const text of ['g1', 'g2', 'g3']) {
      expect((await rest(server.app, carol.token).post(`/v1/conversations/${conv}/messages`, { text })).status).toBe(
        201,
      );
    }
    for (const text of ['d1', 'd2']) {
      expect((await rest(server.app, dave.token).post('/v1/messages', { to_user_id: 5, text })).status).toBe(201);
    }
    const chat = async () =>
      ((await rest(server.app, erin.token).get('/api/messages/unread/count')).body as { data: { chat: number } }).data
        .chat;
    expect(await chat()).toBe(2);
    const e = await connect(erin, ['websocket']);
    expect(await e.request('mark_read', { fromUserId: 4 })).toEqual({ success: true, unreadCount: 0, totalUnread: 0 });
    expect(await chat()).toBe(0);
    await rest(server.app, dave.token).post('/v1/messages', { to_user_id: 5, text: 'd3' });
    // a conversation with nothing to read answers the same total
    expect(await e.request('mark_read', { fromUserId: 3 })).toEqual({ success: true, unreadCount: 0, totalUnread: 1 });
    expect(await chat()).toBe(1);
  });

  it('friends-only DMs (PARLEY_DM_POLICY=friends); unknown events and bad payloads are refused in the seed shape', async () => {
    const a = await connect(alice, ['websocket']);
    expect(await a.request('send_message', { toUserId: 3, content: 'hi', tempId: 'x1' })).toEqual({
      success: false,
      code: 'NOT_FRIENDS',
      message: expect.any(String),
      tempId: 'x1',
    });
    expect(await a.request('send_message', { toUserId: 2 })).toMatchObject({
      success: false,
      code: 'VALIDATION_FAILED',
    });
    expect(await a.request('teleport', {})).toEqual({
      success: false,
      code: 'UNKNOWN_TYPE',
      message: expect.any(String),
    });
    const err = await connectError(url(), { auth: { token: 'forged' } });
    expect(err.message).toBe('Authentication error');
    expect(err.data).toEqual({ code: 'TOKEN_INVALID', message: expect.any(String) });
  });

  it('system notifications: pushed as system_message, listed, counted and marked read', async () => {
    const a = await connect(alice, ['websocket']);
    await a.next('online_users');
    const res = await notify({
      user_id: 1,
      type: 'achievement',
      title: '成就解锁',
      body: '你解锁了「初来乍到」',
      data: { achievementId: 7 },
      link: '/achievements/7',
    });
    expect(res.statusCode).toBe(201);
    const system = {
      id: expect.stringMatching(/^\d+$/),
      fromUserId: null,
      toUserId: 1,
      messageType: 'SYSTEM_ACHIEVEMENT',
      title: '成就解锁',
      content: '你解锁了「初来乍到」',
      metadata: { achievementId: 7 },
      link: '/achievements/7',
      isRead: false,
      createdAt: expect.stringMatching(ISO_MS),
      deletedAt: null,
    };
    const pushed = await a.next('system_message');
    expect(pushed).toEqual(system);
    await notify({ user_id: 1, type: 'follow', title: '新关注', body: 'bob 关注了你' });

    const api = rest(server.app, alice.token);
    const list = (await api.get('/api/messages/system/list')).body as {
      success: boolean;
      data: { messages: Payload[]; unreadCount: number };
    };
    expect(list.success).toBe(true);
    expect(list.data.unreadCount).toBe(2);
    expect(list.data.messages.map((m) => m.messageType)).toEqual(['SYSTEM_FOLLOW', 'SYSTEM_ACHIEVEMENT']);
    expect(list.data.messages[1]).toEqual({ ...system, id: pushed.id });

    const count = await api.get('/api/messages/unread/count');
    expect(count.body).toEqual({
      success: true,
      data: { chat: expect.any(Number), system: 2, total: expect.any(Number) },
    });

    const marked = await api.post('/api/messages/system/mark-read', { messageIds: [pushed.id] });
    expect(marked.body).toEqual({ success: true, data: { updated: 1, unreadCount: 1 } });
    expect(await a.next('system_messages_read')).toEqual({ ids: [pushed.id], unreadCount: 1 });
    expect(await a.request('mark_system_read', {})).toEqual({ success: true, updated: 1, unreadCount: 0 });
  });

  it('REST: history, conversation list, unread count, soft delete; refusals as {success:false, code, message}', async () => {
    const b = await connect(bob, ['websocket']);
    await b.next('online_users');
    const api = rest(server.app, alice.token);
    const first = await (await connect(alice, ['websocket'])).request('send_message', {
      toUserId: 2,
      content: '第一条',
    });
    const second = await b.request('send_message', { toUserId: 1, content: '第二条' });
    const firstId = (first.message as Payload).id as string;
    const secondId = (second.message as Payload).id as string;

    const history = (await api.get('/api/messages/2?limit=50')).body as {
      success: boolean;
      data: { messages: Payload[]; hasMore: boolean };
    };
    expect(history.success).toBe(true);
    expect(history.data.hasMore).toBe(false);
    const last2 = history.data.messages.slice(-2);
    expect(last2).toEqual([
      {
        id: firstId,
        fromUserId: 1,
        toUserId: 2,
        messageType: 'CHAT',
        content: '第一条',
        metadata: null,
        isRead: true, // bob answered after it: writing reads the conversation up to one's own message
        createdAt: expect.stringMatching(ISO_MS),
        deletedAt: null,
        fromUser: { id: 1, username: 'alice', nickname: 'alice', avatar: null },
      },
      {
        id: secondId,
        fromUserId: 2,
        toUserId: 1,
        messageType: 'CHAT',
        content: '第二条',
        metadata: null,
        isRead: false,
        createdAt: expect.stringMatching(ISO_MS),
        deletedAt: null,
        fromUser: { id: 2, username: 'bob', nickname: 'bob', avatar: null },
      },
    ]);
    const older = (await api.get(`/api/messages/2?limit=1&before=${secondId}`)).body as {
      data: { messages: Payload[] };
    };
    expect(older.data.messages.map((m) => m.id)).toEqual([firstId]);

    const conversations = (await api.get('/api/messages/conversations/list')).body as {
      success: boolean;
      data: Payload[];
    };
    expect(conversations.data).toEqual([
      {
        userId: 2,
        user: { id: 2, username: 'bob', nickname: 'bob', avatar: null },
        lastMessage: expect.objectContaining({ id: secondId, content: '第二条', fromUserId: 2, toUserId: 1 }),
        unreadCount: 1,
        isOnline: true,
        lastMessageAt: expect.stringMatching(ISO_MS),
      },
    ]);
    const unread = (await api.get('/api/messages/unread/count')).body as {
      data: { chat: number; system: number; total: number };
    };
    expect(unread.data.chat).toBe(1);
    expect(unread.data.total).toBe(unread.data.chat + unread.data.system);

    // soft delete: only the sender; the message keeps its place, withheld, and no longer counts as unread
    const notMine = await api.delete(`/api/messages/${secondId}`);
    expect(notMine.status).toBe(403);
    expect(notMine.body).toEqual({ success: false, code: 'FORBIDDEN', message: expect.any(String) });
    const deleted = await rest(server.app, bob.token).delete(`/api/messages/${secondId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true, data: { id: secondId, deletedAt: expect.stringMatching(ISO_MS) } });
    const after = (await api.get('/api/messages/2')).body as { data: { messages: Payload[] } };
    expect(after.data.messages.at(-1)).toMatchObject({
      id: secondId,
      content: '',
      deletedAt: expect.stringMatching(ISO_MS),
    });
    expect(((await api.get('/api/messages/unread/count')).body as { data: { chat: number } }).data.chat).toBe(0);
    const canonical = (await api.get('/v1/conversations/dm:1:2/messages')).body as { messages: Payload[] };
    expect(canonical.messages.at(-1)).toMatchObject({ id: secondId, kind: 'deleted', text: '', metadata: null });
    expect((await rest(server.app, carol.token).delete(`/api/messages/${firstId}`)).status).toBe(404);
    expect((await api.delete('/api/messages/999999')).status).toBe(404);

    const anonymous = await rest(server.app).get('/api/messages/conversations/list');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ success: false, code: 'AUTH_REQUIRED', message: expect.any(String) });
  });
});
