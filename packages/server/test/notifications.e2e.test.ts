import { afterEach, describe, expect, it } from 'vitest';
import { restErrorCode, roundTrip, SocketPool, serverCall, type TestUser } from './helpers/delivery-kit.js';
import { hostToken } from './helpers/host-token.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import type { TestSocket } from './helpers/test-socket.js';

type Notification = {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  link: string | null;
  created_at: string;
  read_at: string | null;
};
type Inbox = { notifications: Notification[]; unread_count: number };

const KEY = 'server-key-0123456789';
const BEARER = { authorization: `Bearer ${KEY}` };
const HEADER = { 'x-parley-server-key': KEY };

let server: TestServer;
const pool = new SocketPool(() => server);

async function boot(env: Record<string, string> = { PARLEY_SERVER_KEY: KEY }) {
  server = await startServer(env);
  return server;
}
afterEach(async () => {
  pool.closeAll();
  await server?.stop();
});

/** Sends a notification through the server API with the Bearer key; returns the created ones. */
async function notify(payload: Record<string, unknown>, headers: Record<string, string> = BEARER) {
  const res = await serverCall(server.app, 'POST', '/v1/server/notifications', payload, headers);
  if (res.status !== 201) throw new Error(`notify: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { notifications: (Notification & { user_id: unknown })[] }).notifications;
}

async function inbox(token: string, query = ''): Promise<Inbox> {
  const res = await rest(server.app, token).get(`/v1/notifications${query}`);
  if (res.status !== 200) throw new Error(`inbox: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Inbox;
}

const notificationsOf = (s: TestSocket) => s.events('notification').map((f) => f.notification as Notification);

describe('server API: sending notifications', () => {
  it('N1: POST /v1/server/notifications (Bearer key) to one user stores it (201) and pushes it live to every device', async () => {
    await boot();
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const phone = await pool.connect(alice.token);
    const laptop = await pool.connect(alice.token);
    const other = await pool.connect(bob.token);

    const [created] = await notify({
      user_id: alice.id,
      type: 'achievement',
      title: 'Level up!',
      body: 'You reached level 5',
      data: { level: 5 },
      link: 'https://app.example.com/achievements/5',
    });
    expect(created).toMatchObject({
      user_id: alice.id,
      type: 'achievement',
      title: 'Level up!',
      body: 'You reached level 5',
      data: { level: 5 },
      link: 'https://app.example.com/achievements/5',
      read_at: null,
    });
    for (const s of [phone, laptop]) {
      const ev = await s.next((f) => f.type === 'notification');
      const { user_id: _, ...wire } = created as Notification & { user_id: unknown };
      expect(ev.notification).toEqual(wire);
    }
    await roundTrip(other);
    expect(notificationsOf(other)).toEqual([]);
    // stored before it was pushed: the inbox has it
    const box = await inbox(alice.token);
    expect(box.notifications.map((n) => n.id)).toEqual([created?.id]);
    expect(box.unread_count).toBe(1);
  });

  it('N1: X-Parley-Server-Key works too, and user_ids sends one notification to each of many users at once', async () => {
    await boot();
    const users = await Promise.all(['u1', 'u2', 'u3', 'u4'].map((n) => register(server.app, `user-${n}`)));
    const sockets = await Promise.all(users.map((u) => pool.connect(u.token)));
    const created = await notify(
      { user_ids: users.map((u) => u.id), type: 'task', title: 'Weekly task', message: 'Finish the quiz' },
      HEADER,
    );
    expect(created.map((n) => n.user_id)).toEqual(users.map((u) => u.id));
    expect(new Set(created.map((n) => n.id)).size).toBe(4);
    for (const [i, s] of sockets.entries()) {
      const ev = await s.next((f) => f.type === 'notification');
      expect(ev.notification).toMatchObject({
        id: created[i]?.id,
        type: 'task',
        title: 'Weekly task',
        body: 'Finish the quiz',
      });
    }
    for (const s of sockets) {
      await roundTrip(s);
      expect(notificationsOf(s)).toHaveLength(1);
    }
    // duplicates in user_ids still give one each
    const again = await notify({ user_ids: [users[0]?.id, users[0]?.id], type: 'task', title: 'Once' });
    expect(again).toHaveLength(1);
  });

  it('N1: a wrong or missing server key is refused with 401; with no key configured the API is off (403)', async () => {
    await boot();
    const alice = await register(server.app, 'alice');
    const payload = { user_id: alice.id, type: 'follow', title: 'x' };
    const wrong = await serverCall(server.app, 'POST', '/v1/server/notifications', payload, {
      authorization: 'Bearer server-key-0123456780',
    });
    expect(wrong.status).toBe(401);
    expect(restErrorCode(wrong.body)).toBe('TOKEN_INVALID');
    const wrongHeader = await serverCall(server.app, 'POST', '/v1/server/notifications', payload, {
      'x-parley-server-key': 'short',
    });
    expect(wrongHeader.status).toBe(401);
    const missing = await serverCall(server.app, 'POST', '/v1/server/notifications', payload, {});
    expect(missing.status).toBe(401);
    expect(restErrorCode(missing.body)).toBe('AUTH_REQUIRED');
    // a user's own token is not the server key
    const userToken = await serverCall(server.app, 'POST', '/v1/server/notifications', payload, {
      authorization: `Bearer ${alice.token}`,
    });
    expect(userToken.status).toBe(401);
    const provision = await serverCall(server.app, 'PUT', '/v1/server/users/77', { username: 'x' }, {});
    expect(provision.status).toBe(401);
    expect((await inbox(alice.token)).notifications).toEqual([]);

    await server.stop();
    await boot({});
    const off = await serverCall(server.app, 'POST', '/v1/server/notifications', payload, BEARER);
    expect(off.status).toBe(403);
    expect(restErrorCode(off.body)).toBe('FORBIDDEN');
  });

  it('N1: users never seen before get an inbox that waits for them', async () => {
    await boot();
    const [n] = await notify({ user_id: 9001, type: 'purchase', title: 'Thanks for your order' });
    await notify({ user_ids: ['new-user-x'], type: 'friend', title: 'Someone added you' });

    const token = await hostToken({ sub: '9001', username: 'late' });
    const box = await inbox(token);
    expect(box.notifications).toHaveLength(1);
    expect(box.notifications[0]).toMatchObject({ id: n?.id, type: 'purchase', read_at: null });
    expect(box.unread_count).toBe(1);
    const x = await inbox(await hostToken({ sub: 'new-user-x' }));
    expect(x.notifications.map((m) => m.title)).toEqual(['Someone added you']);
  });

  it('N1: the server API answers with user ids as on the wire everywhere else (numeric ids as JSON numbers)', async () => {
    await boot();
    const alice = await register(server.app, 'alice');
    const created = await notify({ user_ids: [9001, '9002', alice.id], type: 'follow', title: 'New follower' });
    expect(created.map((n) => n.user_id)).toEqual([9001, 9002, alice.id]);
  });

  it('N1: seed-style notification types are all accepted; malformed ones are refused', async () => {
    await boot();
    const alice = await register(server.app, 'alice');
    const types = [
      'achievement',
      'purchase',
      'follow',
      'friend',
      'task',
      'new_follower',
      'new_like',
      'new_comment',
      'comment_reply',
      'mention',
    ];
    for (const type of types) await notify({ user_id: alice.id, type, title: `a ${type}` });
    const box = await inbox(alice.token, '?limit=50');
    expect(box.notifications.map((n) => n.type)).toEqual([...types].reverse());
    expect(box.unread_count).toBe(types.length);

    for (const bad of [
      { user_id: alice.id, type: 'has space', title: 't' },
      { user_id: alice.id, type: 'mention' },
      { user_id: alice.id, title: 't' },
      { type: 'mention', title: 't' },
      { user_ids: [], type: 'mention', title: 't' },
      { user_id: alice.id, type: 'mention', title: 't', data: [1, 2] },
    ]) {
      const res = await serverCall(server.app, 'POST', '/v1/server/notifications', bad, BEARER);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(restErrorCode(res.body)).toBe('VALIDATION_FAILED');
    }
  });
});

describe('notification inbox', () => {
  async function aliceWithFive() {
    await boot();
    const alice = await register(server.app, 'alice');
    const created: Notification[] = [];
    for (let i = 1; i <= 5; i++) {
      const [n] = await notify({ user_id: alice.id, type: 'new_like', title: `like ${i}` });
      created.push(n as Notification);
    }
    return { alice, created };
  }

  it('N1: GET /v1/notifications lists newest first, pages with `before`, filters unread=true; unread-count agrees', async () => {
    const { alice, created } = await aliceWithFive();
    const all = await inbox(alice.token);
    expect(all.notifications.map((n) => n.title)).toEqual(['like 5', 'like 4', 'like 3', 'like 2', 'like 1']);
    expect(all.unread_count).toBe(5);

    const first = await inbox(alice.token, '?limit=2');
    expect(first.notifications.map((n) => n.title)).toEqual(['like 5', 'like 4']);
    const second = await inbox(alice.token, `?limit=2&before=${first.notifications[1]?.id}`);
    expect(second.notifications.map((n) => n.title)).toEqual(['like 3', 'like 2']);
    const third = await inbox(alice.token, `?limit=2&before=${second.notifications[1]?.id}`);
    expect(third.notifications.map((n) => n.title)).toEqual(['like 1']);

    await rest(server.app, alice.token).post('/v1/notifications/read', { ids: [created[3]?.id, created[1]?.id] });
    const unread = await inbox(alice.token, '?unread=true');
    expect(unread.notifications.map((n) => n.title)).toEqual(['like 5', 'like 3', 'like 1']);
    expect(unread.unread_count).toBe(3);
    const count = await rest(server.app, alice.token).get('/v1/notifications/unread-count');
    expect(count.body).toEqual({ unread_count: 3 });
    const read = (await inbox(alice.token)).notifications.find((n) => n.id === created[3]?.id);
    expect(Date.parse(read?.read_at as string)).not.toBeNaN();
  });

  it('N1: marking read over REST ({ids}, {all:true}) or WS notif.read updates counts and tells every device of the user', async () => {
    const { alice, created } = await aliceWithFive();
    const bob = await register(server.app, 'bob');
    const [bobs] = await notify({ user_id: bob.id, type: 'mention', title: 'for bob' });
    const phone = await pool.connect(alice.token);
    const laptop = await pool.connect(alice.token);
    const b = await pool.connect(bob.token);
    const ids = created.map((n) => n.id);

    const viaRest = await rest(server.app, alice.token).post('/v1/notifications/read', { ids: [ids[0], ids[1]] });
    expect(viaRest.body).toEqual({ updated: 2, unread_count: 3 });
    for (const s of [phone, laptop]) {
      expect(await s.next((f) => f.type === 'notif.read')).toEqual({
        type: 'notif.read',
        ids: [ids[0], ids[1]],
        unread_count: 3,
      });
    }

    expect(await phone.call('notif.read', { ids: [ids[2]] })).toEqual({ updated: 1, unread_count: 2 });
    for (const s of [phone, laptop]) {
      await s.next((f) => f.type === 'notif.read' && f.unread_count === 2);
    }
    // already read, and somebody else's: nothing changes
    expect(await laptop.call('notif.read', { ids: [ids[2], bobs?.id] })).toEqual({ updated: 0, unread_count: 2 });
    expect((await inbox(bob.token)).unread_count).toBe(1);

    const everything = await rest(server.app, alice.token).post('/v1/notifications/read', { all: true });
    expect(everything.body).toEqual({ updated: 2, unread_count: 0 });
    for (const s of [phone, laptop]) {
      expect(await s.next((f) => f.type === 'notif.read' && f.unread_count === 0)).toMatchObject({ ids: null });
    }
    expect((await rest(server.app, alice.token).get('/v1/notifications/unread-count')).body).toEqual({
      unread_count: 0,
    });
    expect((await inbox(alice.token, '?unread=true')).notifications).toEqual([]);
    expect(await laptop.call('notif.read', { all: true })).toEqual({ updated: 0, unread_count: 0 });

    // bob's devices hear nothing of alice's inbox
    await roundTrip(b);
    expect(b.events('notif.read')).toEqual([]);

    const bad = await phone.request('notif.read', { ids: [] });
    expect(bad).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED', field: 'ids' });
    const badRest = await rest(server.app, alice.token).post('/v1/notifications/read', { ids: 'all' });
    expect(restErrorCode(badRest.body)).toBe('VALIDATION_FAILED');
  });
});

describe('server API: users', () => {
  it('N1: PUT /v1/server/users/:id provisions a user, after which DMs to that id work', async () => {
    await boot();
    const alice = await register(server.app, 'alice');
    const a = await pool.connect(alice.token);
    expect(await a.request('msg.send', { to_user_id: 4242, text: 'anyone?' })).toMatchObject({
      type: 'error',
      code: 'NOT_FOUND',
    });

    const res = await serverCall(
      server.app,
      'PUT',
      '/v1/server/users/4242',
      { username: 'zed', display_name: 'Zed Zedson', avatar_url: 'https://cdn.example.com/zed.png' },
      BEARER,
    );
    expect(res.status).toBe(200);
    expect((res.body as { user: unknown }).user).toMatchObject({
      id: 4242,
      username: 'zed',
      display_name: 'Zed Zedson',
      avatar_url: 'https://cdn.example.com/zed.png',
    });
    const profile = await rest(server.app, alice.token).get('/v1/users/4242');
    expect((profile.body as { user: unknown }).user).toMatchObject({ id: 4242, display_name: 'Zed Zedson' });

    const ack = await a.call<{ message: { conversation_id: string } }>('msg.send', {
      to_user_id: 4242,
      text: 'hi zed',
    });
    const zed: TestUser = { id: 4242, token: await hostToken({ sub: '4242', username: 'zed' }) };
    const z = await pool.connect(zed.token);
    const page = await z.call<{ messages: { text: string; sender_id: unknown }[] }>('msg.history', {
      conversation_id: ack.message.conversation_id,
    });
    expect(page.messages).toMatchObject([{ text: 'hi zed', sender_id: alice.id }]);

    const bad = await serverCall(server.app, 'PUT', '/v1/server/users/not%20valid', {}, BEARER);
    expect(bad.status).toBe(400);
    expect(restErrorCode(bad.body)).toBe('VALIDATION_FAILED');
  });
});
