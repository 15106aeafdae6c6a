import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register, rest } from './helpers/rest.js';
import { barrier, waitFor } from './helpers/sync.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';
import { befriend, errorOf } from './helpers/users.js';

type User = { id: string; token: string; refreshToken: string };
type WireUser = { id: string | number; username: string | null; display_name: string };
type Presence = { user_id: string | number; status: 'online' | 'offline'; last_seen: string | null };
type Friend = { user: WireUser; presence: Presence; since: string };
type Requests = {
  incoming: { user: WireUser; created_at: string }[];
  outgoing: { user: WireUser; created_at: string }[];
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let server: TestServer;
const sockets: TestSocket[] = [];
const connect = async (token: string) => {
  const s = await TestSocket.connect(server.wsUrl, token);
  sockets.push(s);
  return s;
};
const api = (u: { token: string }) => rest(server.app, u.token);
const friendsOf = async (u: User) => ((await api(u).get('/v1/friends')).body as { friends: Friend[] }).friends;
const requestsOf = async (u: User) => (await api(u).get('/v1/friends/requests')).body as Requests;
const presenceAbout = (s: TestSocket, u: User) => s.events('presence').filter((f) => f.user_id === u.id);
const friendEvents = (s: TestSocket) => s.events('friend').map((f) => [f.change, (f.user as WireUser).id]);

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server.stop();
});

describe('friends', () => {
  it('a friend request is 201 "requested": the target sees it as incoming, the requester as outgoing', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const res = await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ status: 'requested' });

    const bobs = await requestsOf(bob);
    expect(bobs.incoming).toEqual([
      { user: expect.objectContaining({ id: alice.id, username: 'alice' }), created_at: expect.stringMatching(ISO) },
    ]);
    expect(bobs.outgoing).toEqual([]);
    const alices = await requestsOf(alice);
    expect(alices.outgoing).toEqual([
      { user: expect.objectContaining({ id: bob.id, username: 'bob' }), created_at: expect.stringMatching(ISO) },
    ]);
    expect(alices.incoming).toEqual([]);
    // a pending request is not a friendship
    expect(await friendsOf(alice)).toEqual([]);
    expect(await friendsOf(bob)).toEqual([]);
  });

  it('accepting (204) makes both users list each other in GET /v1/friends, with presence', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    const accepted = await api(bob).post(`/v1/friends/requests/${alice.id}/accept`);
    expect(accepted.status).toBe(204);

    await connect(bob.token);
    const alicesFriends = await friendsOf(alice);
    expect(alicesFriends).toEqual([
      {
        user: expect.objectContaining({ id: bob.id, username: 'bob' }),
        presence: { user_id: bob.id, status: 'online', last_seen: expect.stringMatching(ISO) },
        since: expect.stringMatching(ISO),
      },
    ]);
    const bobsFriends = await friendsOf(bob);
    expect(bobsFriends).toEqual([
      {
        user: expect.objectContaining({ id: alice.id, username: 'alice' }),
        presence: { user_id: alice.id, status: 'offline', last_seen: null },
        since: expect.stringMatching(ISO),
      },
    ]);
    // the request is gone from both sides
    expect(await requestsOf(alice)).toEqual({ incoming: [], outgoing: [] });
    expect(await requestsOf(bob)).toEqual({ incoming: [], outgoing: [] });
    // accepting again: there is no pending request any more
    const again = await api(bob).post(`/v1/friends/requests/${alice.id}/accept`);
    expect(again.status).toBe(404);
  });

  it('declining (204) drops the request without making friends', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    const declined = await api(bob).post(`/v1/friends/requests/${alice.id}/decline`);
    expect(declined.status).toBe(204);
    expect(await requestsOf(alice)).toEqual({ incoming: [], outgoing: [] });
    expect(await requestsOf(bob)).toEqual({ incoming: [], outgoing: [] });
    expect(await friendsOf(alice)).toEqual([]);
    expect(await friendsOf(bob)).toEqual([]);
    const again = await api(bob).post(`/v1/friends/requests/${alice.id}/decline`);
    expect(again.status).toBe(404);
    expect(errorOf(again.body).code).toBe('NOT_FOUND');
  });

  it('the requester can cancel a pending request (204); it disappears for the target', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    const cancelled = await api(alice).delete(`/v1/friends/requests/${bob.id}`);
    expect(cancelled.status).toBe(204);
    expect((await requestsOf(bob)).incoming).toEqual([]);
    expect((await requestsOf(alice)).outgoing).toEqual([]);
    // the target cannot accept a cancelled request
    expect((await api(bob).post(`/v1/friends/requests/${alice.id}/accept`)).status).toBe(404);
    expect((await api(alice).delete(`/v1/friends/requests/${bob.id}`)).status).toBe(404);
  });

  it('removing a friend (204) ends the friendship for both', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    await befriend(server.app, alice, bob);
    const removed = await api(bob).delete(`/v1/friends/${alice.id}`);
    expect(removed.status).toBe(204);
    expect(await friendsOf(alice)).toEqual([]);
    expect(await friendsOf(bob)).toEqual([]);
    const again = await api(alice).delete(`/v1/friends/${bob.id}`);
    expect(again.status).toBe(404);
    expect(errorOf(again.body).code).toBe('NOT_FOUND');
  });

  it('a request to someone who already asked you accepts theirs (200 "accepted")', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    const reverse = await api(bob).post('/v1/friends/requests', { user_id: alice.id });
    expect(reverse.status).toBe(200);
    expect(reverse.body).toEqual({ status: 'accepted' });
    expect((await friendsOf(alice)).map((f) => f.user.id)).toEqual([bob.id]);
    expect((await friendsOf(bob)).map((f) => f.user.id)).toEqual([alice.id]);
    expect(await requestsOf(alice)).toEqual({ incoming: [], outgoing: [] });
    expect(await requestsOf(bob)).toEqual({ incoming: [], outgoing: [] });
  });

  it('refuses a request to yourself (400), to an unknown user (404) and to an existing friend (409)', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const self = await api(alice).post('/v1/friends/requests', { user_id: alice.id });
    expect(self.status).toBe(400);
    expect(errorOf(self.body).code).toBe('VALIDATION_FAILED');
    const unknown = await api(alice).post('/v1/friends/requests', { user_id: 'u_nobody' });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe('NOT_FOUND');
    const invalid = await api(alice).post('/v1/friends/requests', { user_id: 'not a valid id!' });
    expect(invalid.status).toBe(400);
    await befriend(server.app, alice, bob);
    for (const [from, to] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const dup = await api(from).post('/v1/friends/requests', { user_id: to.id });
      expect(dup.status).toBe(409);
      expect(errorOf(dup.body).code).toBe('CONFLICT');
    }
  });

  it('both users’ WebSocket clients receive `friend` events: request, accepted, removed', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a1 = await connect(alice.token);
    const a2 = await connect(alice.token);
    const b1 = await connect(bob.token);

    await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    const toBob = await b1.next((f) => f.type === 'friend' && f.change === 'request');
    expect(toBob.user).toMatchObject({ id: alice.id, username: 'alice', display_name: 'alice' });
    for (const s of [a1, a2]) {
      const ev = await s.next((f) => f.type === 'friend' && f.change === 'request');
      expect(ev.user).toMatchObject({ id: bob.id, username: 'bob' });
    }

    await api(bob).post(`/v1/friends/requests/${alice.id}/accept`);
    expect((await b1.next((f) => f.type === 'friend' && f.change === 'accepted')).user).toMatchObject({
      id: alice.id,
    });
    for (const s of [a1, a2]) {
      expect((await s.next((f) => f.type === 'friend' && f.change === 'accepted')).user).toMatchObject({
        id: bob.id,
      });
    }

    await api(alice).delete(`/v1/friends/${bob.id}`);
    expect((await b1.next((f) => f.type === 'friend' && f.change === 'removed')).user).toMatchObject({
      id: alice.id,
    });
    for (const s of [a1, a2]) {
      expect((await s.next((f) => f.type === 'friend' && f.change === 'removed')).user).toMatchObject({
        id: bob.id,
      });
    }
    expect(friendEvents(b1)).toEqual([
      ['request', alice.id],
      ['accepted', alice.id],
      ['removed', alice.id],
    ]);
    expect(friendEvents(a1)).toEqual([
      ['request', bob.id],
      ['accepted', bob.id],
      ['removed', bob.id],
    ]);
  });

  it('declining and cancelling are pushed to both users as `friend` events too', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await connect(alice.token);
    const b = await connect(bob.token);
    await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    await api(bob).post(`/v1/friends/requests/${alice.id}/decline`);
    await a.next((f) => f.type === 'friend' && f.change === 'declined');
    await b.next((f) => f.type === 'friend' && f.change === 'declined');
    await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    await api(alice).delete(`/v1/friends/requests/${bob.id}`);
    expect((await a.next((f) => f.type === 'friend' && f.change === 'cancelled')).user).toMatchObject({ id: bob.id });
    expect((await b.next((f) => f.type === 'friend' && f.change === 'cancelled')).user).toMatchObject({
      id: alice.id,
    });
  });
});

describe('blocks', () => {
  it('PUT /v1/blocks/:id (204) lists the user in GET /v1/blocks; DELETE (204) unblocks', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const put = await api(alice).put(`/v1/blocks/${bob.id}`);
    expect(put.status).toBe(204);
    const list = (await api(alice).get('/v1/blocks')).body as { blocked: { user: WireUser; since: string }[] };
    expect(list.blocked).toEqual([
      { user: expect.objectContaining({ id: bob.id, username: 'bob' }), since: expect.stringMatching(ISO) },
    ]);
    // the blocked user does not see who blocked them
    expect((await api(bob).get('/v1/blocks')).body).toEqual({ blocked: [] });

    const del = await api(alice).delete(`/v1/blocks/${bob.id}`);
    expect(del.status).toBe(204);
    expect((await api(alice).get('/v1/blocks')).body).toEqual({ blocked: [] });
    expect((await api(alice).delete(`/v1/blocks/${bob.id}`)).status).toBe(404);
  });

  it('blocking yourself is 400 and blocking an unknown user is 404', async () => {
    const alice = await register(server.app, 'alice');
    expect((await api(alice).put(`/v1/blocks/${alice.id}`)).status).toBe(400);
    const unknown = await api(alice).put('/v1/blocks/u_nobody');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe('NOT_FOUND');
  });

  it('blocking a friend ends the friendship, and both are told `removed`', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    await befriend(server.app, alice, bob);
    const b = await connect(bob.token);
    expect((await api(alice).put(`/v1/blocks/${bob.id}`)).status).toBe(204);
    expect(await friendsOf(alice)).toEqual([]);
    expect(await friendsOf(bob)).toEqual([]);
    expect((await b.next((f) => f.type === 'friend' && f.change === 'removed')).user).toMatchObject({
      id: alice.id,
    });
  });

  it('a block refuses friend requests both ways with 403 BLOCKED until it is lifted', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    // a pending request is dropped by the block
    await api(bob).post('/v1/friends/requests', { user_id: alice.id });
    await api(alice).put(`/v1/blocks/${bob.id}`);
    expect((await requestsOf(alice)).incoming).toEqual([]);
    expect((await requestsOf(bob)).outgoing).toEqual([]);

    const fromBlocked = await api(bob).post('/v1/friends/requests', { user_id: alice.id });
    expect(fromBlocked.status).toBe(403);
    expect(errorOf(fromBlocked.body).code).toBe('BLOCKED');
    const fromBlocker = await api(alice).post('/v1/friends/requests', { user_id: bob.id });
    expect(fromBlocker.status).toBe(403);
    expect(errorOf(fromBlocker.body).code).toBe('BLOCKED');

    await api(alice).delete(`/v1/blocks/${bob.id}`);
    const after = await api(bob).post('/v1/friends/requests', { user_id: alice.id });
    expect(after.status).toBe(201);
  });
});

describe('presence', () => {
  it('P1: online and offline presence reaches friends and group co-members, never a stranger', async () => {
    const alice = await register(server.app, 'alice');
    const friend = await register(server.app, 'fred');
    const comember = await register(server.app, 'carla');
    const stranger = await register(server.app, 'stan');
    await befriend(server.app, alice, friend);
    const group = await api(comember).post('/v1/groups', { name: 'Book club', member_ids: [alice.id] });
    expect(group.status).toBe(201);

    const f = await connect(friend.token);
    const c = await connect(comember.token);
    const s = await connect(stranger.token);

    const a = await connect(alice.token);
    for (const watcher of [f, c]) {
      const ev = await watcher.next((x) => x.type === 'presence' && x.user_id === alice.id && x.status === 'online');
      expect(ev).toEqual({
        type: 'presence',
        user_id: alice.id,
        status: 'online',
        last_seen: expect.stringMatching(ISO),
      });
    }
    await barrier(s);
    expect(presenceAbout(s, alice)).toEqual([]);

    a.close();
    for (const watcher of [f, c]) {
      const ev = await watcher.next((x) => x.type === 'presence' && x.user_id === alice.id && x.status === 'offline');
      expect(ev.last_seen).toMatch(ISO);
    }
    await barrier(s);
    expect(presenceAbout(s, alice)).toEqual([]);
    // the stranger heard about nobody at all
    expect(s.events('presence')).toEqual([]);
    // and the friend heard exactly one online and one offline about alice
    expect(presenceAbout(f, alice).map((x) => x.status)).toEqual(['online', 'offline']);
  });

  it('P1: presence follows the relationship: ex-friends, ex-co-members and pending requesters do not hear, a new friend does', async () => {
    const alice = await register(server.app, 'alice');
    const exFriend = await register(server.app, 'bob');
    const newFriend = await register(server.app, 'carol');
    const exMember = await register(server.app, 'dan');
    const asker = await register(server.app, 'erin');
    await befriend(server.app, alice, exFriend);
    const { group } = (await api(alice).post('/v1/groups', { name: 'Team', member_ids: [exMember.id] })).body as {
      group: { id: number };
    };
    await api(asker).post('/v1/friends/requests', { user_id: alice.id });
    const silent = [await connect(exFriend.token), await connect(exMember.token), await connect(asker.token)];
    const c = await connect(newFriend.token);

    await api(alice).delete(`/v1/friends/${exFriend.id}`);
    expect((await api(alice).delete(`/v1/groups/${group.id}/members/${exMember.id}`)).status).toBe(204);
    await befriend(server.app, alice, newFriend);
    await connect(alice.token);
    await c.next((x) => x.type === 'presence' && x.user_id === alice.id && x.status === 'online');
    for (const s of silent) {
      await barrier(s);
      expect(presenceAbout(s, alice)).toEqual([]);
    }
  });

  it('presence is announced once per transition: a second device adds no event, offline waits for the last device', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    await befriend(server.app, alice, bob);
    const b = await connect(bob.token);
    const a1 = await connect(alice.token);
    await b.next((x) => x.type === 'presence' && x.user_id === alice.id && x.status === 'online');
    const a2 = await connect(alice.token);
    await barrier(b);
    expect(presenceAbout(b, alice)).toHaveLength(1);

    a1.close();
    await waitFor(async () => {
      const stats = (await rest(server.app).get('/stats')).body as { connections: number };
      return stats.connections === 2;
    }, 'first device gone');
    await barrier(b);
    expect(presenceAbout(b, alice)).toHaveLength(1);

    a2.close();
    await b.next((x) => x.type === 'presence' && x.user_id === alice.id && x.status === 'offline');
    expect(presenceAbout(b, alice).map((x) => x.status)).toEqual(['online', 'offline']);
  });

  it('GET /v1/presence?user_ids= answers online/offline and last_seen for each id', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const carol = await register(server.app, 'carol');
    const dave = await register(server.app, 'dave');
    await connect(bob.token);
    const c = await connect(carol.token);
    c.close();
    const query = `/v1/presence?user_ids=${bob.id},${carol.id},${dave.id}`;
    await waitFor(async () => {
      const r = (await api(alice).get(query)).body as { presence: Presence[] };
      return r.presence[1]?.status === 'offline';
    }, 'carol offline');
    const res = await api(alice).get(query);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      presence: [
        { user_id: bob.id, status: 'online', last_seen: expect.stringMatching(ISO) },
        { user_id: carol.id, status: 'offline', last_seen: expect.stringMatching(ISO) },
        { user_id: dave.id, status: 'offline', last_seen: null },
      ],
    });
    const missing = await api(alice).get('/v1/presence');
    expect(missing.status).toBe(400);
    expect(errorOf(missing.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'user_ids' });
  });

  it('presence.query over the WebSocket answers like the REST query', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const carol = await register(server.app, 'carol');
    const a = await connect(alice.token);
    await connect(bob.token);
    const ws = await a.call<{ presence: Presence[] }>('presence.query', { user_ids: [alice.id, bob.id, carol.id] });
    expect(ws.presence).toEqual([
      { user_id: alice.id, status: 'online', last_seen: expect.stringMatching(ISO) },
      { user_id: bob.id, status: 'online', last_seen: expect.stringMatching(ISO) },
      { user_id: carol.id, status: 'offline', last_seen: null },
    ]);
    const viaRest = await api(alice).get(`/v1/presence?user_ids=${alice.id},${bob.id},${carol.id}`);
    expect(viaRest.body).toEqual({ presence: ws.presence });

    const bad = await a.request('presence.query', { user_ids: 'not-an-array' });
    expect(bad).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED', field: 'user_ids' });
  });
});
