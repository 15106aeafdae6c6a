import { expect } from 'vitest';
import { hostToken } from './host-token.js';
import { ReliableClient } from './reliable-client.js';
import { TestSocket } from './test-socket.js';

/**
 * The delivery-under-faults proof, for one node (faults.e2e.test.ts) or a cluster: clients that retry blindly and catch up,
 * a burst of sends, and a verification that every acknowledged message is stored exactly once, every device holds
 * the complete ordered sequence of its conversations, and unread counts match the read positions (D1-D4, C1, U1).
 */

export const USERS = ['1', '2', '3'] as const;
export const GROUP = 'g:1';
const CONVERSATIONS = [GROUP, 'dm:1:2', 'dm:2:3', 'dm:1:3'];

export interface Fleet {
  clients: ReliableClient[];
  tokens: Record<string, string>;
}

export async function makeFleet(url: string, devicesPerUser: number): Promise<Fleet> {
  const tokens: Record<string, string> = {};
  for (const u of USERS) tokens[u] = await hostToken({ sub: u, username: `user${u}` }, { expiresInSec: 3600 });
  const clients: ReliableClient[] = [];
  for (const u of USERS) {
    for (let d = 0; d < devicesPerUser; d++) {
      clients.push(new ReliableClient(url, tokens[u] as string, `u${u}d${d}`, `device-${u}-${d}`));
    }
  }
  return { clients, tokens };
}

/** Creates the users and their group g:1 through one node. */
export async function setupGroup(wsUrl: string, httpUrl: string, tokens: Record<string, string>): Promise<void> {
  for (const u of USERS) (await TestSocket.connect(wsUrl, tokens[u] as string)).close();
  const res = await fetch(`${httpUrl}/v1/groups`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens['1']}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'faults', member_ids: [2, 3] }),
  });
  expect(res.status).toBe(201);
}

/** Sends `perClient` messages from each client, alternating between the group and a DM, paced by `random`. */
export async function burst(clients: ReliableClient[], perClient: number, random: () => number, pauseMs = 4) {
  for (let i = 0; i < perClient; i++) {
    for (const c of clients) {
      const me = c.name.slice(1, 2);
      const peer = USERS[(USERS.indexOf(me as (typeof USERS)[number]) + 1) % USERS.length] as string;
      c.send(i % 3 === 0 ? { to_user_id: Number(peer) } : { conversation_id: GROUP }, `${c.name} #${i}`);
    }
    if (random() < 0.5) await new Promise((r) => setTimeout(r, random() * pauseMs));
  }
}

export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  state: () => unknown = () => '',
) {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what} ${JSON.stringify(state())}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Stored = { id: string; seq: number; client_msg_id: string | null; sender_id: number };

async function storedMessages(url: string, token: string, conversationId: string): Promise<Stored[]> {
  const s = await TestSocket.connect(url, token);
  const all: Stored[] = [];
  let after = 0;
  for (;;) {
    const page = await s.call<{ messages: Stored[]; has_more: boolean }>('msg.history', {
      conversation_id: conversationId,
      after,
      limit: 200,
    });
    all.push(...page.messages);
    if (!page.has_more || page.messages.length === 0) break;
    after = (page.messages.at(-1) as Stored).seq;
  }
  s.close();
  return all;
}

/** Reads the store through `url` (any node) and checks the fleet against it; returns the run's figures. */
export async function verify<E extends Record<string, number>>(url: string, fleet: Fleet, label: string, extra: E) {
  const { clients, tokens } = fleet;
  const stored = new Map<string, Stored[]>();
  for (const c of CONVERSATIONS)
    stored.set(c, await storedMessages(url, (c === 'dm:2:3' ? tokens['2'] : tokens['1']) as string, c));
  const member = (name: string, conv: string) => conv === GROUP || conv.split(':').slice(1).includes(name.slice(1, 2));
  const converged = () =>
    clients.every((c) =>
      [...stored].every(([conv, msgs]) => !member(c.name, conv) || (c.held.get(conv)?.size ?? 0) >= msgs.length),
    );
  const lagging = () =>
    clients.flatMap((c) =>
      [...stored]
        .filter(([conv, msgs]) => member(c.name, conv) && (c.held.get(conv)?.size ?? 0) < msgs.length)
        .map(([conv, msgs]) => `${c.name} ${conv} ${c.held.get(conv)?.size ?? 0}/${msgs.length}`),
    );
  await waitUntil(
    () => {
      if (!converged()) for (const c of clients) c.resync();
      return converged();
    },
    60_000,
    'every device to catch up',
    lagging,
  );

  const storedIds = new Map<string, number>();
  for (const [conv, msgs] of stored) {
    expect(
      msgs.map((m) => m.seq),
      `${conv} seqs`,
    ).toEqual(msgs.map((_, i) => i + 1));
    for (const m of msgs)
      if (m.client_msg_id) storedIds.set(m.client_msg_id, (storedIds.get(m.client_msg_id) ?? 0) + 1);
  }
  let acked = 0;
  let lost = 0;
  let duplicated = 0;
  for (const c of clients) {
    for (const [cmid, ack] of c.acked) {
      acked++;
      const n = storedIds.get(cmid) ?? 0;
      if (n === 0) lost++;
      const row = stored.get(ack.conversation_id)?.find((m) => m.client_msg_id === cmid);
      expect(row?.seq, `ack of ${cmid} names the stored seq`).toBe(ack.seq);
    }
  }
  for (const n of storedIds.values()) if (n > 1) duplicated++;
  expect(lost).toBe(0);
  expect(duplicated).toBe(0);

  for (const c of clients) {
    for (const [conv, msgs] of stored) {
      const held = c.held.get(conv);
      if (!member(c.name, conv)) {
        expect(held, `${c.name} must not hold ${conv}`).toBeUndefined();
        continue;
      }
      expect(held?.size ?? 0, `${c.name} holds all of ${conv}`).toBe(msgs.length);
      for (const m of msgs) expect(held?.get(m.seq)?.id, `${c.name} ${conv}#${m.seq}`).toBe(m.id);
    }
    expect(c.conflicts).toBe(0);
  }

  for (const u of USERS) {
    const s = await TestSocket.connect(url, tokens[u] as string);
    const list = await s.call<{
      conversations: { id: string; read_seq: number; unread_count: number }[];
      total_unread: number;
    }>('conv.list');
    let total = 0;
    for (const conv of list.conversations) {
      const expected = (stored.get(conv.id) ?? []).filter(
        (m) => m.seq > conv.read_seq && String(m.sender_id) !== u,
      ).length;
      expect(conv.unread_count, `unread of user ${u} in ${conv.id}`).toBe(expected);
      total += expected;
    }
    expect(list.total_unread).toBe(total);
    s.close();
  }

  // R5 U1: the coalesced position writes end where the devices confirmed: delivered at the last seq, read below it.
  const lastSeq = (conv: string) => (stored.get(conv) ?? []).length;
  const positionsOf = async () => {
    const out = new Map<string, { delivered_seq: number; read_seq: number | null }>();
    for (const conv of CONVERSATIONS) {
      const owner = (conv === 'dm:2:3' ? tokens['2'] : tokens['1']) as string;
      const s = await TestSocket.connect(url, owner);
      const r = await s.call<{ receipts: { user_id: string | number; delivered_seq: number; read_seq: number | null }[] }>(
        'receipts.get',
        { conversation_id: conv },
      );
      for (const p of r.receipts) out.set(`${conv}|${p.user_id}`, p);
      s.close();
    }
    return out;
  };
  const deliveredEverywhere = async () => {
    const positions = await positionsOf();
    return [...positions].every(([k, p]) => p.delivered_seq === lastSeq(k.split('|')[0] as string));
  };
  await waitUntil(
    async () => {
      if (await deliveredEverywhere()) return true;
      for (const c of clients) c.confirmHeld();
      return false;
    },
    30_000,
    'every delivered position to reach the last seq',
  );
  for (const [k, p] of await positionsOf()) {
    expect(p.read_seq ?? 0, `${k}: read <= delivered`).toBeLessThanOrEqual(p.delivered_seq);
  }

  const figures = {
    messages: [...stored.values()].reduce((n, m) => n + m.length, 0),
    acked,
    lost,
    duplicated,
    duplicatesSeenByClients: clients.reduce((n, c) => n + c.duplicatesSeen, 0),
    reconnects: clients.reduce((n, c) => n + c.reconnects, 0),
    ...extra,
  };
  console.log(`[fault run] ${label}: ${JSON.stringify(figures)}`);
  return figures;
}
