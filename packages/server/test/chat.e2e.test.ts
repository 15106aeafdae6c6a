import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostToken } from './helpers/host-token.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';

let server: TestServer;
const sockets: TestSocket[] = [];
const connect = async (token: string) => {
  const s = await TestSocket.connect(server.wsUrl, token);
  sockets.push(s);
  return s;
};

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server.stop();
});

describe('1:1 chat over WebSocket', () => {
  it('D4: a message reaches every device of the recipient and the sender’s other devices, acked with id and seq', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a1 = await connect(alice.token);
    const a2 = await connect(alice.token);
    const b1 = await connect(bob.token);
    const b2 = await connect(bob.token);

    const ack = await a1.call<{ message: Record<string, unknown>; duplicate: boolean }>('msg.send', {
      to_user_id: bob.id,
      text: 'hi bob',
      client_msg_id: 'c1',
    });
    expect(ack.duplicate).toBe(false);
    expect(ack.message).toMatchObject({
      seq: 1,
      text: 'hi bob',
      sender_id: alice.id,
      client_msg_id: 'c1',
      kind: 'text',
    });
    const conversationId = ack.message.conversation_id as string;

    for (const s of [b1, b2, a2]) {
      const ev = await s.next((f) => f.type === 'msg.new');
      expect(ev.message).toEqual(ack.message);
    }
    // the sending connection has its ack; it gets no second copy
    await new Promise((r) => setTimeout(r, 50));
    expect(a1.events('msg.new')).toHaveLength(0);

    const reply = await b1.call<{ message: { seq: number } }>('msg.send', {
      conversation_id: conversationId,
      text: 'hello alice',
    });
    expect(reply.message.seq).toBe(2);
    const got = await a1.next((f) => f.type === 'msg.new');
    expect((got.message as { text: string }).text).toBe('hello alice');
  });

  it('host-application tokens: users are created on first sight and numeric ids stay numbers', async () => {
    const t1 = await hostToken({ sub: '101', username: 'ann' });
    const t2 = await hostToken({ user_id: 102, name: 'Ben' });
    const ann = await connect(t1);
    const hello = ann.frames.find((f) => f.type === 'hello') as unknown as { user: { id: unknown; username: string } };
    expect(hello.user).toMatchObject({ id: 101, username: 'ann' });
    const ben = await connect(t2);
    const ack = await ann.call<{ message: { sender_id: unknown; conversation_id: string } }>('msg.send', {
      to_user_id: 102,
      text: 'yo',
    });
    expect(ack.message.sender_id).toBe(101);
    expect(ack.message.conversation_id).toBe('dm:101:102');
    const ev = await ben.next((f) => f.type === 'msg.new');
    expect((ev.message as { sender_id: unknown }).sender_id).toBe(101);
  });
});

describe('group chat', () => {
  it('a group of five: every member’s devices receive every message in seq order', async () => {
    const users = await Promise.all(['gina', 'gus', 'gwen', 'gil', 'greta'].map((n) => register(server.app, n)));
    const [owner, ...others] = users as [(typeof users)[0], ...typeof users];
    const created = await rest(server.app, owner.token).post('/v1/groups', {
      name: 'Calculus',
      member_ids: others.map((u) => u.id),
    });
    expect(created.status).toBe(201);
    const group = (created.body as { group: { conversation_id: string; member_count: number } }).group;
    expect(group.member_count).toBe(5);
    const socks = await Promise.all(users.map((u) => connect(u.token)));

    for (let i = 0; i < socks.length; i++) {
      await (socks[i] as TestSocket).call('msg.send', {
        conversation_id: group.conversation_id,
        text: `hello from ${i}`,
        client_msg_id: `g-${i}`,
      });
    }
    for (let i = 0; i < socks.length; i++) {
      const s = socks[i] as TestSocket;
      // each member sees the 4 messages of the others (its own come back as acks), in seq order
      const expected = [1, 2, 3, 4, 5].filter((seq) => seq !== i + 1);
      await waitFor(() => s.events('msg.new').length === 4);
      expect(s.events('msg.new').map((f) => (f.message as { seq: number }).seq)).toEqual(expected);
    }
  });
});

describe('history', () => {
  it('pages by cursor (before/after) and by limit/offset, newest page by default', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await connect(alice.token);
    let conversationId = '';
    for (let i = 1; i <= 120; i++) {
      const r = await a.call<{ message: { conversation_id: string } }>('msg.send', {
        to_user_id: bob.id,
        text: `m${i}`,
        client_msg_id: `h${i}`,
      });
      conversationId = r.message.conversation_id;
    }
    const api = rest(server.app, bob.token);
    const latest = (await api.get(`/v1/conversations/${conversationId}/messages`)).body as {
      messages: { seq: number }[];
      has_more: boolean;
    };
    expect(latest.messages.map((m) => m.seq)).toEqual(range(71, 120));
    expect(latest.has_more).toBe(true);
    const older = (await api.get(`/v1/conversations/${conversationId}/messages?before=71&limit=60`))
      .body as typeof latest;
    expect(older.messages.map((m) => m.seq)).toEqual(range(11, 70));
    expect(older.has_more).toBe(true);
    const oldest = (await api.get(`/v1/conversations/${conversationId}/messages?before=11&limit=60`))
      .body as typeof latest;
    expect(oldest.messages.map((m) => m.seq)).toEqual(range(1, 10));
    expect(oldest.has_more).toBe(false);
    const after = await a.call<typeof latest>('msg.history', {
      conversation_id: conversationId,
      after: 100,
      limit: 200,
    });
    expect(after.messages.map((m) => m.seq)).toEqual(range(101, 120));
    expect(after.has_more).toBe(false);
    const offset = (await api.get(`/v1/conversations/${conversationId}/messages?offset=10&limit=5`))
      .body as typeof latest;
    expect(offset.messages.map((m) => m.seq)).toEqual(range(106, 110));
  });
});

describe('restart', () => {
  it('D1: history, conversations and unread counts survive a graceful restart', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await connect(alice.token);
    for (let i = 1; i <= 20; i++)
      await a.call('msg.send', { to_user_id: bob.id, text: `before restart ${i}`, client_msg_id: `r${i}` });
    const closed = a.closed;
    server = await server.restart();
    expect((await closed).code).toBe(3000);

    const b = await connect(bob.token);
    const list = await b.call<{
      conversations: { id: string; unread_count: number; last_message: { text: string } }[];
      total_unread: number;
    }>('conv.list');
    expect(list.total_unread).toBe(20);
    expect(list.conversations[0]?.last_message.text).toBe('before restart 20');
    const page = await b.call<{ messages: { text: string }[] }>('msg.history', {
      conversation_id: list.conversations[0]?.id,
      limit: 200,
    });
    expect(page.messages.map((m) => m.text)).toEqual(range(1, 20).map((i) => `before restart ${i}`));
    // logging in again works: credentials survived too
    const login = await rest(server.app).post('/v1/auth/login', {
      username: 'alice',
      password: 'correct-horse-battery',
    });
    expect(login.status).toBe(200);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
