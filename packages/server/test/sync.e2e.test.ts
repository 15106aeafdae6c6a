import { dmConversationId } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Frame,
  isMessage,
  makeGroup,
  messageOf,
  pipelineSend,
  range,
  registerUsers,
  SocketPool,
  sendMessages,
} from './helpers/delivery-kit.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { syncRequest } from './helpers/sync.js';
import type { TestSocket } from './helpers/test-socket.js';

type SyncConversation = {
  conversation_id: string;
  from: number;
  last_seq: number;
  replayed: number;
  must_page: boolean;
};
type SyncResult = { conversations: SyncConversation[]; total_unread: number };

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

const sync = (s: TestSocket, payload: Record<string, unknown>) => syncRequest<SyncResult>(s, payload);

/** The seqs of the msg.new frames of one conversation received by the socket, in arrival order. */
const seqsOf = (s: TestSocket, conversationId: string, frames: Frame[] = s.frames) =>
  frames.filter(isMessage(conversationId)).map((f) => messageOf(f).seq);

let opened = 0;

/** Opens the DM between two users with one message from `a` and returns its id. */
async function openDm(a: { token: string }, b: { id: unknown }) {
  const res = await rest(server.app, a.token).post('/v1/messages', {
    to_user_id: b.id,
    text: 'first',
    client_msg_id: `first-${++opened}`,
  });
  if (res.status !== 201) throw new Error(`open dm: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { message: { conversation_id: string } }).message.conversation_id;
}

describe('catch-up after reconnecting', () => {
  it('C1: a device offline while messages arrive gets every missed msg.new in seq order, then the result', async () => {
    await boot();
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const conv = await openDm(alice, bob); // seq 1
    await sendMessages(server.app, alice, conv, 2, 'early'); // seq 2, 3

    const before = await pool.connect(bob.token);
    expect(
      (await before.call<{ messages: unknown[] }>('msg.history', { conversation_id: conv })).messages,
    ).toHaveLength(3);
    before.close();
    await before.closed;

    await sendMessages(server.app, alice, conv, 7, 'missed'); // seq 4..10 while bob is away
    const after = await pool.connect(bob.token);
    const { result, at } = await sync(after, { positions: { [conv]: 3 } });

    const replayed = after.frames.slice(0, at).filter(isMessage(conv)).map(messageOf);
    expect(replayed.map((m) => m.seq)).toEqual(range(4, 10));
    expect(replayed.map((m) => m.text)).toEqual(range(1, 7).map((i) => `missed${i}`));
    expect(result.conversations).toEqual([
      { conversation_id: conv, from: 3, last_seq: 10, from_rev: null, last_rev: 10, replayed: 7, must_page: false },
    ]);
    expect(result.total_unread).toBe(10); // bob has read nothing yet
    // nothing else follows: each missed message came exactly once
    expect(seqsOf(after, conv)).toEqual(range(4, 10));

    // a device that already holds everything gets nothing
    const upToDate = await sync(after, { positions: { [conv]: 10 } });
    expect(upToDate.result.conversations).toEqual([]);
    expect(seqsOf(after, conv)).toEqual(range(4, 10));
  });

  it('C1: a fresh device with no positions gets the unread backlog of every conversation, from its read position', async () => {
    await boot();
    const [alice, bob, carol, dave] = await registerUsers(server.app, ['alice', 'bob', 'carol', 'dave']);
    const withAlice = await openDm(alice, bob); // seq 1
    await sendMessages(server.app, alice, withAlice, 9, 'a'); // seq 2..10
    const withCarol = await openDm(carol, bob); // seq 1
    await sendMessages(server.app, carol, withCarol, 2, 'c'); // seq 2, 3
    const group = await makeGroup(server.app, dave, [bob, carol], 'Club');
    await sendMessages(server.app, dave, group, 4, 'g'); // seq 1..4
    // bob read part of alice's conversation; he wrote last in dave's DM (so nothing there is unread)
    expect((await rest(server.app, bob.token).post(`/v1/conversations/${withAlice}/read`, { seq: 6 })).status).toBe(
      200,
    );
    const withDave = await openDm(dave, bob);
    await sendMessages(server.app, bob, withDave, 1, 'b');

    const fresh = await pool.connect(bob.token);
    const { result, at } = await sync(fresh, {});
    const byConv = new Map(result.conversations.map((c) => [c.conversation_id, c]));
    expect(byConv.get(withAlice)).toEqual({
      conversation_id: withAlice,
      from: 6,
      last_seq: 10,
      from_rev: null,
      last_rev: 10,
      replayed: 4,
      must_page: false,
    });
    expect(byConv.get(withCarol)).toEqual({
      conversation_id: withCarol,
      from: 0,
      last_seq: 3,
      from_rev: null,
      last_rev: 3,
      replayed: 3,
      must_page: false,
    });
    expect(byConv.get(group)).toEqual({
      conversation_id: group,
      from: 0,
      last_seq: 4,
      from_rev: null,
      last_rev: 4,
      replayed: 4,
      must_page: false,
    });
    expect(byConv.has(withDave)).toBe(false);
    expect(result.total_unread).toBe(4 + 3 + 4);

    const before = fresh.frames.slice(0, at);
    expect(seqsOf(fresh, withAlice, before)).toEqual([7, 8, 9, 10]);
    expect(seqsOf(fresh, withCarol, before)).toEqual([1, 2, 3]);
    expect(seqsOf(fresh, group, before)).toEqual([1, 2, 3, 4]);
    expect(seqsOf(fresh, withDave)).toEqual([]);
  });

  it('C2: a backlog beyond PARLEY_SYNC_REPLAY_LIMIT is reported must_page (nothing replayed) and msg.history pages give every message', async () => {
    await boot({ PARLEY_SYNC_REPLAY_LIMIT: '20' });
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const carol = await register(server.app, 'carol');
    const big = await openDm(alice, bob); // seq 1
    await sendMessages(server.app, alice, big, 44, 'big'); // seq 2..45
    const small = await openDm(carol, bob);
    await sendMessages(server.app, carol, small, 4, 'small'); // seq 1..5

    const b = await pool.connect(bob.token);
    const { result, at } = await sync(b, { positions: { [big]: 5, [small]: 0 } });
    const byConv = new Map(result.conversations.map((c) => [c.conversation_id, c]));
    expect(byConv.get(big)).toEqual({
      conversation_id: big,
      from: 5,
      last_seq: 45,
      from_rev: null,
      last_rev: 45,
      replayed: 0,
      must_page: true,
    });
    expect(byConv.get(small)).toEqual({
      conversation_id: small,
      from: 0,
      last_seq: 5,
      from_rev: null,
      last_rev: 5,
      replayed: 5,
      must_page: false,
    });
    expect(seqsOf(b, big)).toEqual([]);
    expect(seqsOf(b, small, b.frames.slice(0, at))).toEqual([1, 2, 3, 4, 5]);

    // page forward from `from`: every message after it, none missing, none twice
    const paged: number[] = [];
    let after = byConv.get(big)?.from ?? 0;
    for (;;) {
      const page = await b.call<{ messages: { seq: number }[]; has_more: boolean }>('msg.history', {
        conversation_id: big,
        after,
        limit: 15,
      });
      paged.push(...page.messages.map((m) => m.seq));
      if (!page.has_more) break;
      after = page.messages[page.messages.length - 1]?.seq ?? after;
    }
    expect(paged).toEqual(range(6, 45));
    // exactly at the limit is still replayed
    const atLimit = await sync(b, { positions: { [big]: 25, [small]: 5 } });
    expect(atLimit.result.conversations).toEqual([
      { conversation_id: big, from: 25, last_seq: 45, from_rev: null, last_rev: 45, replayed: 20, must_page: false },
    ]);
  });

  /** A 1,500-message backlog synced while 300 more are sent from another socket. */
  async function syncWhileSending() {
    await boot({
      PARLEY_SYNC_REPLAY_LIMIT: '5000',
      PARLEY_RATE_MESSAGES_PER_SEC: '100000',
      PARLEY_RATE_FRAMES_PER_SEC: '100000',
    });
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const writer = await pool.connect(alice.token);
    const backlog = await pipelineSend(writer, { to_user_id: bob.id }, 1500, 'backlog');
    expect(backlog).toEqual(range(1, 1500));
    const conv = dmConversationId(alice.id, bob.id);

    const b = await pool.connect(bob.token);
    const syncing = sync(b, { positions: { [conv]: 0 } });
    const live = pipelineSend(writer, { conversation_id: conv }, 300, 'live'); // while the replay runs
    const [{ result, at }, liveSeqs] = await Promise.all([syncing, live]);
    expect(liveSeqs).toEqual(range(1501, 1800));
    await b.next(isMessage(conv, 1800), 10_000);
    expect(result.conversations).toHaveLength(1);
    return { b, conv, result, at, item: result.conversations[0] as SyncConversation };
  }

  it('C1: messages sent while a large backlog is replayed arrive after the replayed ones, each id at most once', async () => {
    const { b, conv, at, item } = await syncWhileSending();
    const received = b.frames.filter(isMessage(conv)).map(messageOf);
    // every message exactly once, in seq order: live ones never overtake replayed ones
    expect(received.map((m) => m.seq)).toEqual(range(1, 1800));
    expect(new Set(received.map((m) => m.id)).size).toBe(1800);
    expect(item).toMatchObject({ conversation_id: conv, from: 0, must_page: false });
    expect(item.replayed).toBe(item.last_seq);
    expect(item.last_seq).toBeGreaterThanOrEqual(1500);
    // everything up to last_seq was replayed before the result frame
    expect(seqsOf(b, conv, b.frames.slice(0, at)).slice(0, item.last_seq)).toEqual(range(1, item.last_seq));
  });

  it('C1: live messages held during a sync follow its result: the msg.new frames before the result are exactly the replayed ones', async () => {
    const { b, conv, at, item } = await syncWhileSending();
    // frames.ts: "Live events for this connection are held back until the result"; replayed counts the msg.new
    // frames sent "all before the result".
    const beforeResult = seqsOf(b, conv, b.frames.slice(0, at));
    const afterResult = seqsOf(b, conv, b.frames.slice(at + 1));
    expect(beforeResult).toEqual(range(1, item.last_seq));
    expect(beforeResult).toHaveLength(item.replayed);
    expect(afterResult).toEqual(range(item.last_seq + 1, 1800));
  });

  it('C1: positions for conversations the user is not in are ignored', async () => {
    await boot();
    const [alice, bob, carol] = await registerUsers(server.app, ['alice', 'bob', 'carol']);
    const theirs = await openDm(alice, carol);
    await sendMessages(server.app, alice, theirs, 3, 'private');
    const group = await makeGroup(server.app, alice, [carol], 'Closed');
    await sendMessages(server.app, alice, group, 2, 'closed');
    const mine = await openDm(alice, bob);

    const b = await pool.connect(bob.token);
    const { result } = await sync(b, { positions: { [theirs]: 0, [group]: 0, 'g:424242': 0, [mine]: 0 } });
    expect(result.conversations).toEqual([
      { conversation_id: mine, from: 0, last_seq: 1, from_rev: null, last_rev: 1, replayed: 1, must_page: false },
    ]);
    expect(b.events('msg.new').map((f) => messageOf(f).conversation_id)).toEqual([mine]);
  });

  it('C1: malformed positions (not an object, negative or fractional seq, a string) are refused with VALIDATION_FAILED', async () => {
    await boot();
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const conv = await openDm(alice, bob);
    const b = await pool.connect(bob.token);
    for (const positions of [[], 'dm', 7, null, { [conv]: -1 }, { [conv]: 1.5 }, { [conv]: '3' }]) {
      const reply = await b.request('sync', { positions });
      expect(reply, JSON.stringify(positions)).toMatchObject({
        type: 'error',
        code: 'VALIDATION_FAILED',
        field: 'positions',
      });
    }
    expect(b.events('msg.new')).toEqual([]);
    // the connection still works
    expect((await sync(b, {})).result.conversations).toHaveLength(1);
  });
});
