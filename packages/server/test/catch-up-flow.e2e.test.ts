import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dmConversationId } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMessage, messageOf, range, SocketPool } from './helpers/delivery-kit.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';

/** The smallest send buffer the configuration allows. */
const SMALL_BUFFER = 64 * 1024;
const BACKLOG = 1000;
const FAST = { PARLEY_RATE_MESSAGES_PER_SEC: '100000', PARLEY_RATE_FRAMES_PER_SEC: '100000' };

/** 4,000 Chinese characters (about 12 KB of UTF-8), numbered so every message differs. */
const longChinese = (i: number) => `${i}：${'流控追赶测试中文长消息'.repeat(400)}`.slice(0, 4000);

let dataDir: string;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let conv: string;
let server: TestServer | undefined;
const pool = new SocketPool(() => server as TestServer);

/** One data directory: bob is 1,000 long Chinese messages behind in his DM with alice. */
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-catchup-'));
  const seed = await startServer(FAST, dataDir);
  alice = await register(seed.app, 'alice');
  bob = await register(seed.app, 'bob');
  conv = dmConversationId(alice.id, bob.id);
  const api = rest(seed.app, alice.token);
  for (let i = 1; i <= BACKLOG; i += 50) {
    await Promise.all(
      range(i, i + 49).map(async (n) => {
        const res = await api.post('/v1/messages', {
          to_user_id: bob.id,
          text: longChinese(n),
          client_msg_id: `b-${n}`,
        });
        if (res.status !== 201) throw new Error(`seed ${n}: ${res.status} ${JSON.stringify(res.body)}`);
      }),
    );
  }
  await seed.stop();
}, 120_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

afterEach(async () => {
  pool.closeAll();
  await server?.stop();
  server = undefined;
});

/** Texts by seq of every message seeded (the order of the concurrent sends decided their seqs). */
async function textsBySeq(): Promise<Map<number, string>> {
  const all = new Map<number, string>();
  let after = 0;
  for (;;) {
    const res = await rest((server as TestServer).app, bob.token).get(
      `/v1/conversations/${conv}/messages?after=${after}&limit=200`,
    );
    const page = res.body as { messages: { seq: number; text: string }[]; has_more: boolean };
    for (const m of page.messages) all.set(m.seq, m.text);
    if (!page.has_more) return all;
    after = page.messages[page.messages.length - 1]?.seq ?? after;
  }
}

describe('flow-controlled catch-up with a 64 KiB send buffer', () => {
  it('C3: a device 1,000 long Chinese messages behind gets every one by sync, in order, and is never closed as a slow consumer', async () => {
    server = await startServer({ ...FAST, PARLEY_SEND_BUFFER_BYTES: String(SMALL_BUFFER) }, dataDir);
    const b = await pool.connect(bob.token);
    const result = await b.call<{ conversations: { last_seq: number; replayed: number; must_page: boolean }[] }>(
      'sync',
      { positions: { [conv]: 0 } },
    );
    expect(result.conversations).toEqual([
      {
        conversation_id: conv,
        from: 0,
        last_seq: BACKLOG,
        from_rev: null,
        last_rev: BACKLOG,
        replayed: BACKLOG,
        must_page: false,
      },
    ]);
    const replayed = b.frames.filter(isMessage(conv)).map(messageOf);
    expect(replayed.map((m) => m.seq)).toEqual(range(1, BACKLOG));
    const texts = await textsBySeq();
    expect(replayed.every((m) => m.text === texts.get(m.seq) && [...m.text].length === 4000)).toBe(true);
    expect(new Set(replayed.map((m) => m.text)).size).toBe(BACKLOG);
    // still open and usable
    expect(await b.call('msg.history', { conversation_id: conv, limit: 1 })).toMatchObject({ has_more: true });
  });

  it('C3: msg.history pages of 200 long Chinese messages are bounded in bytes; has_more stays truthful and paging either way gives every message once', async () => {
    server = await startServer({ ...FAST, PARLEY_SEND_BUFFER_BYTES: String(SMALL_BUFFER) }, dataDir);
    const b = await pool.connect(bob.token);
    const replyBytes: number[] = [];
    const page = async (query: Record<string, unknown>) => {
      const reply = await b.request('msg.history', { conversation_id: conv, limit: 200, ...query });
      if (reply.type !== 'result') throw new Error(`history refused: ${JSON.stringify(reply)}`);
      replyBytes.push(Buffer.byteLength(JSON.stringify(reply)));
      const data = reply.data as { messages: { seq: number }[]; has_more: boolean };
      expect(data.messages.length).toBeGreaterThan(0);
      return { seqs: data.messages.map((m) => m.seq), has_more: data.has_more };
    };

    // cut pages stay next to the cursor and say there is more
    const first = await page({ after: 0 });
    expect(first.seqs).toEqual(range(1, first.seqs.length));
    expect(first.seqs.length).toBeLessThan(200);
    expect(first.has_more).toBe(true);
    const newest = await page({});
    expect(newest.seqs).toEqual(range(BACKLOG - newest.seqs.length + 1, BACKLOG));
    expect(newest.has_more).toBe(true);

    // forward to the end: every message once, has_more false only on the last page
    const forward: number[] = [];
    for (let after = BACKLOG - 60; ; ) {
      const p = await page({ after });
      forward.push(...p.seqs);
      if (!p.has_more) break;
      after = p.seqs[p.seqs.length - 1] as number;
    }
    expect(forward).toEqual(range(BACKLOG - 59, BACKLOG));
    // backward to the start: the same
    const backward: number[] = [];
    for (let before = 61; ; ) {
      const p = await page({ before });
      backward.unshift(...p.seqs);
      if (!p.has_more) break;
      before = p.seqs[0] as number;
    }
    expect(backward).toEqual(range(1, 60));
    // the documented bound: a reply is at most half of the send buffer
    expect(Math.max(...replyBytes)).toBeLessThanOrEqual(SMALL_BUFFER / 2);
  });

  it('C3: a client that stops reading while live messages flow is still closed with 3002 (slow consumer)', async () => {
    server = await startServer({ ...FAST, PARLEY_SEND_BUFFER_BYTES: String(SMALL_BUFFER) }, dataDir);
    const b = await pool.connect(bob.token);
    await b.call('sync', { positions: { [conv]: BACKLOG } });
    const socket = (b.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause(); // bob stops reading
    const api = rest((server as TestServer).app, alice.token);
    const stats = rest((server as TestServer).app);
    const open = async () => ((await stats.get('/stats')).body as { connections: number }).connections;
    let sent = 0;
    while ((await open()) > 0) {
      if (sent >= 4000) throw new Error('never closed as a slow consumer');
      await Promise.all(
        range(sent + 1, sent + 50).map((n) =>
          api.post(`/v1/conversations/${conv}/messages`, { text: longChinese(n), client_msg_id: `live-${n}` }),
        ),
      );
      sent += 50;
    }
    socket.resume();
    expect((await b.closed).code).toBe(3002);
  });
});
