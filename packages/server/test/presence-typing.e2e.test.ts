import { afterEach, describe, expect, it } from 'vitest';
import {
  type Frame,
  makeFriends,
  makeGroup,
  registerUsers,
  roundTrip,
  SocketPool,
  until,
} from './helpers/delivery-kit.js';
import { rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import type { TestSocket } from './helpers/test-socket.js';

type Presence = { type: 'presence'; user_id: unknown; status: string; last_seen: string | null };

let server: TestServer;
const pool = new SocketPool(() => server);

async function boot(env: Record<string, string> = {}) {
  server = await startServer(env);
  return server;
}
afterEach(async () => {
  pool.closeAll();
  await server?.stop();
});

/** The presence events about one user received by the socket, in order. */
const presenceOf = (s: TestSocket, userId: unknown) =>
  s.events('presence').filter((f) => f.user_id === userId) as unknown as Presence[];

/** Waits for the next presence event about the user with that status (from now on). */
const nextPresence = (s: TestSocket, userId: unknown, status: string, timeoutMs = 5000) =>
  s.wait(
    (f) => f.type === 'presence' && f.user_id === userId && f.status === status,
    timeoutMs,
  ) as unknown as Promise<Presence>;

/** A presence event about the user with that status, already received or still to come. */
const presence = (s: TestSocket, userId: unknown, status: string, timeoutMs = 5000) =>
  s.next(
    (f) => f.type === 'presence' && f.user_id === userId && f.status === status,
    timeoutMs,
  ) as unknown as Promise<Presence>;

async function queried(s: TestSocket, userId: unknown) {
  const r = await s.call<{ presence: { user_id: unknown; status: string; last_seen: string | null }[] }>(
    'presence.query',
    { user_ids: [userId] },
  );
  return r.presence[0];
}

describe('presence states', () => {
  it('P1: presence.set busy / away is pushed to friends as a presence event and shows in presence.query', async () => {
    await boot();
    const [alice, bob, carol] = await registerUsers(server.app, ['alice', 'bob', 'carol']);
    await makeFriends(server.app, alice, bob);
    const b = await pool.connect(bob.token);
    const stranger = await pool.connect(carol.token);
    const a = await pool.connect(alice.token);
    const online = await presence(b, alice.id, 'online');
    expect(online.last_seen).not.toBeNull();

    expect(await a.call('presence.set', { status: 'busy' })).toEqual({ status: 'busy' });
    const busy = await presence(b, alice.id, 'busy');
    expect(Date.parse(busy.last_seen as string)).not.toBeNaN();
    expect(await queried(b, alice.id)).toMatchObject({ user_id: alice.id, status: 'busy' });
    const viaRest = await rest(server.app, bob.token).get(`/v1/presence?user_ids=${alice.id}`);
    expect((viaRest.body as { presence: { status: string }[] }).presence[0]?.status).toBe('busy');

    a.send({ type: 'presence.set', status: 'away' }); // as a notification, without an id
    await presence(b, alice.id, 'away');
    expect(await queried(b, alice.id)).toMatchObject({ status: 'away' });

    expect(await a.request('presence.set', { status: 'invisible' })).toMatchObject({
      type: 'error',
      code: 'VALIDATION_FAILED',
      field: 'status',
    });

    // neither a friend nor a co-member: told nothing
    await roundTrip(stranger);
    expect(presenceOf(stranger, alice.id)).toEqual([]);
    // exactly one event per change
    await roundTrip(b);
    expect(presenceOf(b, alice.id).map((p) => p.status)).toEqual(['online', 'busy', 'away']);
  });

  it('P1: a user’s status rolls up across devices: busy > online > away, one event per change of the roll-up', async () => {
    await boot();
    const [alice, bob] = await registerUsers(server.app, ['alice', 'bob']);
    await makeFriends(server.app, alice, bob);
    const b = await pool.connect(bob.token);
    const a1 = await pool.connect(alice.token);
    await presence(b, alice.id, 'online');
    const a2 = await pool.connect(alice.token);

    // the n-th presence event about alice (1-based) has this status
    const nth = async (n: number, status: string) => {
      await until(() => presenceOf(b, alice.id).length >= n, `presence event ${n}`);
      expect(presenceOf(b, alice.id)[n - 1]?.status).toBe(status);
    };

    await a1.call('presence.set', { status: 'busy' }); // busy + online
    await nth(2, 'busy');
    expect(await queried(b, alice.id)).toMatchObject({ status: 'busy' });

    await a1.call('presence.set', { status: 'away' }); // away + online
    await nth(3, 'online');
    expect(await queried(b, alice.id)).toMatchObject({ status: 'online' });

    await a2.call('presence.set', { status: 'away' }); // away + away
    await nth(4, 'away');

    await a2.call('presence.set', { status: 'busy' }); // away + busy
    await nth(5, 'busy');

    a2.close(); // away only
    await nth(6, 'away');
    expect(await queried(b, alice.id)).toMatchObject({ status: 'away' });

    await roundTrip(b);
    expect(presenceOf(b, alice.id).map((p) => p.status)).toEqual(['online', 'busy', 'online', 'away', 'busy', 'away']);
  });

  it('P1: an idle device turns away after PARLEY_AWAY_AFTER_MS and back online on its next non-ping frame', async () => {
    await boot({ PARLEY_AWAY_AFTER_MS: '300' });
    const [alice, bob] = await registerUsers(server.app, ['alice', 'bob']);
    await makeFriends(server.app, alice, bob);
    const b = await pool.connect(bob.token);
    await roundTrip(b); // C4: bob's first frame after hello lets his live events through from now on
    const a = await pool.connect(alice.token);
    await presence(b, alice.id, 'online');

    await nextPresence(b, alice.id, 'away', 5000);
    expect(await queried(b, alice.id)).toMatchObject({ status: 'away' });

    // pings are heartbeats, not activity
    await roundTrip(a);
    expect(await queried(b, alice.id)).toMatchObject({ status: 'away' });

    const back = nextPresence(b, alice.id, 'online');
    await a.call('conv.list');
    await back;
    expect(await queried(b, alice.id)).toMatchObject({ status: 'online' });
  });

  it('P1: automatic away leaves a state the client set itself alone (busy stays busy while idle)', async () => {
    await boot({ PARLEY_AWAY_AFTER_MS: '300' });
    const [alice, bob, carol] = await registerUsers(server.app, ['alice', 'bob', 'carol']);
    await makeFriends(server.app, alice, bob);
    await makeFriends(server.app, carol, bob);
    const b = await pool.connect(bob.token);
    const a = await pool.connect(alice.token);
    await a.call('presence.set', { status: 'busy' });
    await presence(b, alice.id, 'busy');
    // carol connects after alice set busy and goes away on the same sweep, or a later one
    await pool.connect(carol.token);
    await presence(b, carol.id, 'away', 5000);
    await roundTrip(b);
    expect(await queried(b, alice.id)).toMatchObject({ status: 'busy' });
    expect(presenceOf(b, alice.id).map((p) => p.status)).toEqual(['online', 'busy']);
  });
});

describe('presence grace period', () => {
  it('P3: a disconnect followed by a reconnect within 300 ms produces no offline event at a friend', async () => {
    await boot({ PARLEY_PRESENCE_GRACE_MS: '1000' });
    const [alice, bob, carol] = await registerUsers(server.app, ['alice', 'bob', 'carol']);
    await makeFriends(server.app, alice, bob);
    await makeFriends(server.app, carol, bob);
    const b = await pool.connect(bob.token);
    const a1 = await pool.connect(alice.token);
    const c = await pool.connect(carol.token);
    await presence(b, alice.id, 'online');
    await presence(b, carol.id, 'online');

    const t0 = Date.now();
    a1.close();
    await a1.closed;
    await pool.connect(alice.token); // back within the grace
    expect(Date.now() - t0).toBeLessThan(300);
    // carol leaves for good after alice's drop: her offline is due after alice's would have been, so once it
    // arrives, alice's grace has run out too
    c.close();
    await presence(b, carol.id, 'offline', 5000);
    await roundTrip(b);
    expect(presenceOf(b, alice.id).map((p) => p.status)).toEqual(['online']);
    expect(await queried(b, alice.id)).toMatchObject({ status: 'online' });
  });

  it('P3: a disconnect without reconnect produces exactly one offline event, after the grace, with last_seen set', async () => {
    await boot({ PARLEY_PRESENCE_GRACE_MS: '1000' });
    const [alice, bob] = await registerUsers(server.app, ['alice', 'bob']);
    await makeFriends(server.app, alice, bob);
    const b = await pool.connect(bob.token);
    const connectedAt = Date.now();
    const a = await pool.connect(alice.token);
    await presence(b, alice.id, 'online');

    const t0 = Date.now();
    a.close();
    const offline = await nextPresence(b, alice.id, 'offline', 5000);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(offline.last_seen).not.toBeNull();
    const lastSeen = Date.parse(offline.last_seen as string);
    expect(lastSeen).toBeGreaterThanOrEqual(connectedAt - 5);
    expect(lastSeen).toBeLessThanOrEqual(Date.now());

    await roundTrip(b);
    expect(presenceOf(b, alice.id).map((p) => p.status)).toEqual(['online', 'offline']);
    const q = await queried(b, alice.id);
    expect(q).toMatchObject({ status: 'offline' });
    expect(q?.last_seen).toBe(offline.last_seen);
  });
});

describe('typing indicators', () => {
  async function setup() {
    await boot();
    const [alice, bob, carol, dave] = await registerUsers(server.app, ['alice', 'bob', 'carol', 'dave']);
    const conv = await makeGroup(server.app, alice, [bob, carol], 'Typing club');
    const a1 = await pool.connect(alice.token);
    const a2 = await pool.connect(alice.token);
    const b = await pool.connect(bob.token);
    const c = await pool.connect(carol.token);
    const d = await pool.connect(dave.token);
    return { alice, bob, carol, dave, conv, a1, a2, b, c, d };
  }
  const typingOf = (s: TestSocket) => s.events('typing') as Frame[];

  it('T1: a start reaches the other members with expires_in_ms, not the typer’s other devices nor non-members', async () => {
    const { alice, conv, a1, a2, b, c, d } = await setup();
    expect(await a1.call('typing', { conversation_id: conv, state: 'start', context: 'reply:42' })).toEqual({
      relayed: true,
    });
    for (const s of [b, c]) {
      const ev = await s.next((f) => f.type === 'typing');
      expect(ev).toEqual({
        type: 'typing',
        conversation_id: conv,
        user_id: alice.id,
        state: 'start',
        context: 'reply:42',
        expires_in_ms: 6000,
      });
    }
    await Promise.all([a1, a2, d].map(roundTrip));
    expect(typingOf(a1)).toEqual([]);
    expect(typingOf(a2)).toEqual([]);
    expect(typingOf(d)).toEqual([]);
  });

  it('16.5: start/stop toggles are bounded per user: at most the burst plus the rate over the time taken reach others', async () => {
    const { conv, a1, b } = await setup();
    const started = Date.now();
    let relayed = 0;
    for (let i = 0; i < 100; i++) {
      const r = await a1.call<{ relayed: boolean }>('typing', { conversation_id: conv, state: i % 2 ? 'stop' : 'start' });
      if (r.relayed) relayed++;
    }
    const seconds = (Date.now() - started) / 1000;
    await roundTrip(b);
    const bound = 10 + Math.ceil(5 * seconds) + 1;
    expect(relayed).toBeLessThanOrEqual(bound);
    expect(typingOf(b).length).toBe(relayed);
  });

  it('16.5: presence.set toggles are bounded per user: beyond the burst they get RATE_LIMITED with retry_after_ms', async () => {
    await boot();
    const [alice, bob] = await registerUsers(server.app, ['alice', 'bob']);
    await makeFriends(server.app, alice, bob);
    const a = await pool.connect(alice.token);
    const b = await pool.connect(bob.token);
    const started = Date.now();
    const replies: Frame[] = [];
    for (let i = 0; i < 40; i++) replies.push(await a.request('presence.set', { status: i % 2 ? 'online' : 'busy' }));
    const seconds = (Date.now() - started) / 1000;
    const limited = replies.filter((r) => r.type === 'error');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ code: 'RATE_LIMITED', retry_after_ms: expect.any(Number) });
    expect(replies.length - limited.length).toBeLessThanOrEqual(5 + Math.ceil(seconds) + 1);
    await roundTrip(b);
  });

  it('T1: a second start within 1 s is dropped (relayed:false); stop is relayed and re-arms start', async () => {
    const { conv, a1, b } = await setup();
    expect(await a1.call('typing', { conversation_id: conv, state: 'start' })).toEqual({ relayed: true });
    expect(await a1.call('typing', { conversation_id: conv, state: 'start' })).toEqual({ relayed: false });
    a1.send({ type: 'typing', conversation_id: conv, state: 'start' }); // without an id: no reply, still dropped
    expect(await a1.call('typing', { conversation_id: conv, state: 'stop' })).toEqual({ relayed: true });
    await b.next((f) => f.type === 'typing' && f.state === 'stop');
    expect(await a1.call('typing', { conversation_id: conv, state: 'start' })).toEqual({ relayed: true });
    await roundTrip(b);
    expect(typingOf(b).map((f) => [f.state, f.context])).toEqual([
      ['start', null],
      ['stop', null],
      ['start', null],
    ]);
    // notifications without an id get no result
    await roundTrip(a1);
    expect(a1.frames.filter((f) => f.type === 'result' && f.id === undefined)).toEqual([]);
  });

  it('T1: typing into a conversation the user is not a member of is refused with NOT_MEMBER', async () => {
    const { alice, bob, conv, d, b } = await setup();
    expect(await d.request('typing', { conversation_id: conv, state: 'start' })).toMatchObject({
      type: 'error',
      code: 'NOT_MEMBER',
    });
    const [x, y] = [String(alice.id), String(bob.id)].sort();
    const theirDm = `dm:${x}:${y}`;
    expect(await d.request('typing', { conversation_id: theirDm, state: 'start' })).toMatchObject({
      type: 'error',
      code: 'NOT_MEMBER',
    });
    expect(await d.request('typing', { conversation_id: 'g:999999', state: 'start' })).toMatchObject({
      type: 'error',
      code: 'NOT_FOUND',
    });
    await roundTrip(b);
    expect(typingOf(b)).toEqual([]);
  });

  it('T1: a user blocked by their DM peer cannot show them typing indicators (messages are refused with BLOCKED too)', async () => {
    const { alice, bob, a1, b } = await setup();
    const dm = await a1.call<{ message: { conversation_id: string } }>('msg.send', { to_user_id: bob.id, text: 'hi' });
    expect((await rest(server.app, bob.token).put(`/v1/blocks/${alice.id}`)).status).toBe(204);
    expect(await a1.request('msg.send', { to_user_id: bob.id, text: 'hello?' })).toMatchObject({ code: 'BLOCKED' });

    const reply = await a1.request('typing', { conversation_id: dm.message.conversation_id, state: 'start' });
    if (reply.type === 'error') expect(reply.code).toBe('BLOCKED');
    else expect(reply.data).toEqual({ relayed: false });
    await roundTrip(b);
    expect(typingOf(b)).toEqual([]);
  });

  it('T1: typing is never stored: history, last_seq and unread counts are unchanged', async () => {
    const { bob, conv, a1, b } = await setup();
    await a1.call('msg.send', { conversation_id: conv, text: 'one real message' });
    const dm = await a1.call<{ message: { conversation_id: string } }>('msg.send', { to_user_id: bob.id, text: 'hi' });
    const before = await b.call<{ conversations: unknown[]; total_unread: number }>('conv.list');

    await a1.call('typing', { conversation_id: conv, state: 'start' });
    await a1.call('typing', { conversation_id: dm.message.conversation_id, state: 'start' });
    await a1.call('typing', { conversation_id: conv, state: 'stop' });
    await b.next((f) => f.type === 'typing' && f.state === 'stop');

    const history = await b.call<{ messages: { text: string }[] }>('msg.history', { conversation_id: conv });
    expect(history.messages.map((m) => m.text)).toEqual(['one real message']);
    const dmHistory = await b.call<{ messages: { text: string }[] }>('msg.history', {
      conversation_id: dm.message.conversation_id,
    });
    expect(dmHistory.messages.map((m) => m.text)).toEqual(['hi']);
    expect(await b.call('conv.list')).toEqual(before);
  });
});
