import { afterEach, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../server/test/helpers/postgres.js';
import { ChaosProxy, client, hostToken, rest, seededRandom, startServer, type TestServer, until } from './kit.js';

type Msg = { id: string; seq: number; rev: number; kind: string; text: string; sender_id: string | number };

/**
 * C5, as a property: random changes (sends, deletions, members added, removed and given roles) while devices drop
 * off (connection cuts through a TCP proxy, devices offline for random windows, a server restart); after every round
 * each device, once reconnected, holds exactly the server's state: every message with its text, deletion and
 * revision, the conversation's revision, and its members with their roles.
 */
let server: TestServer | null = null;
let proxy: ChaosProxy | null = null;
let db: TestDatabase | null = null;
const devices: ParleyClient[] = [];

afterEach(async () => {
  for (const d of devices.splice(0)) d.disconnect();
  await proxy?.stop();
  await server?.stop();
  await db?.drop();
  proxy = null;
  server = null;
  db = null;
});

async function run(env: Record<string, string>, seed: number) {
  server = await startServer(env);
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const tokens: Record<string, string> = {};
  for (const u of ['1', '2', '3', '4', '5']) tokens[u] = await hostToken({ sub: u });
  const api = (u: string) => rest((server as TestServer).app, tokens[u] as string);
  for (const u of ['2', '3', '4', '5']) expect((await api(u).get('/v1/users/me')).status).toBe(200);
  const created = await api('1').post('/v1/groups', { name: 'Property', member_ids: [2, 3] });
  expect(created.status).toBe(201);
  const group = (created.body as { group: { id: number; conversation_id: string } }).group;
  const first = await api('1').post('/v1/messages', { to_user_id: 2, text: 'hi', client_msg_id: 'dm-0' });
  const dm = (first.body as { message: { conversation_id: string } }).message.conversation_id;
  const convs = [group.conversation_id, dm];
  const members: Record<string, string[]> = { [group.conversation_id]: ['1', '2', '3'], [dm]: ['1', '2'] };
  const sent: Record<string, { id: string; sender: string }[]> = { [group.conversation_id]: [], [dm]: [] };

  proxy = new ChaosProxy(server.port);
  const proxyPort = await proxy.start();
  const url = `ws://127.0.0.1:${proxyPort}/v1/ws`;
  // observers: user 2 on two devices, user 3 on one; each keeps the members it learned from conv.member
  const observed: { device: ParleyClient; user: string; roles: Map<string, { role: string | null; rev: number }> }[] =
    [];
  for (const [user, n] of [
    ['2', 'a'],
    ['2', 'b'],
    ['3', 'a'],
  ] as const) {
    const device = client({ url, token: tokens[user] as string, device: { id: `${user}-${n}` } });
    devices.push(device);
    const roles = new Map<string, { role: string | null; rev: number }>();
    for (const u of ['1', '2', '3']) roles.set(u, { role: u === '1' ? 'owner' : 'member', rev: 0 });
    device.on('event', (e) => {
      if (e.type !== 'conv.member' || e.conversation_id !== group.conversation_id) return;
      const held = roles.get(String(e.user_id));
      if (held && held.rev >= e.rev) return; // an older or repeated change
      roles.set(String(e.user_id), { role: e.change === 'removed' ? null : e.role, rev: e.rev });
    });
    const synced = new Promise<void>((resolve) => device.on('synced', () => resolve()));
    device.connect();
    await synced; // from here on the device holds everything: live, or replayed by its catch-ups
    observed.push({ device, user, roles });
  }

  let counter = 0;
  const step = async () => {
    const r = random();
    if (r < 0.5) {
      const conv = pick(convs);
      const sender = pick(members[conv] as string[]);
      const res = await api(sender).post(`/v1/conversations/${conv}/messages`, {
        text: `t${++counter} 你好`,
        client_msg_id: `p-${counter}`,
      });
      expect(res.status).toBe(201);
      (sent[conv] as { id: string; sender: string }[]).push({ id: (res.body as { message: Msg }).message.id, sender });
    } else if (r < 0.65) {
      const conv = pick(convs);
      const mine = sent[conv] as { id: string; sender: string }[];
      if (mine.length === 0) return;
      const m = pick(mine);
      expect((await api(m.sender).delete(`/api/messages/${m.id}`)).status).toBe(200);
    } else if (r < 0.8) {
      const g = group.conversation_id;
      const outsider = ['4', '5'].find((u) => !(members[g] as string[]).includes(u));
      if (outsider && random() < 0.6) {
        expect((await api('1').post(`/v1/groups/${group.id}/members`, { user_ids: [Number(outsider)] })).status).toBe(200);
        (members[g] as string[]).push(outsider);
      } else {
        const leaver = pick((members[g] as string[]).filter((u) => u === '4' || u === '5'));
        if (!leaver) return;
        expect((await api('1').delete(`/v1/groups/${group.id}/members/${leaver}`)).status).toBe(204);
        members[g] = (members[g] as string[]).filter((u) => u !== leaver);
      }
    } else if (r < 0.85) {
      const target = pick((members[group.conversation_id] as string[]).filter((u) => u !== '1'));
      const role = random() < 0.5 ? 'admin' : 'member';
      expect((await api('1').patch(`/v1/groups/${group.id}/members/${target}`, { role })).status).toBe(204);
    } else if (r < 0.93) {
      (proxy as ChaosProxy).cutRandom(random);
    } else {
      const o = pick(observed);
      if (o.device.state === 'connected') o.device.disconnect();
      else o.device.connect();
    }
  };

  const converge = async (round: number) => {
    for (const o of observed) o.device.connect();
    const truth = new Map<string, { messages: Msg[]; lastRev: number }>();
    const list = (await api('1').get('/v1/conversations')).body as { conversations: { id: string; last_rev: number }[] };
    for (const c of convs) {
      const page = (await api('1').get(`/v1/conversations/${c}/messages?limit=200`)).body as { messages: Msg[] };
      truth.set(c, { messages: page.messages, lastRev: list.conversations.find((x) => x.id === c)?.last_rev ?? -1 });
    }
    const serverRoles = (
      (await api('1').get(`/v1/groups/${group.id}/members`)).body as {
        members: { user: { id: string | number }; role: string }[];
      }
    ).members.map((m) => [String(m.user.id), m.role]);
    /** The first difference between a device and the server, or null. */
    const differs = (o: (typeof observed)[number]): string | null => {
      if (o.device.state !== 'connected') return `${o.user}: ${o.device.state}`;
      for (const c of convs) {
        if (c === dm && o.user !== '2') continue;
        const t = truth.get(c) as { messages: Msg[]; lastRev: number };
        const held = JSON.stringify(o.device.messages.list(c).map((m) => [m.seq, m.kind, m.text, m.rev]));
        const want = JSON.stringify(t.messages.map((m) => [m.seq, m.kind, m.text, m.rev]));
        if (held !== want) return `${o.user} ${c} messages: ${held} != ${want}`;
        const rev = o.device.revs.positions()[c];
        if (rev !== t.lastRev) return `${o.user} ${c} rev ${rev} != ${t.lastRev}`;
      }
      const roles = JSON.stringify([...o.roles].filter(([, v]) => v.role !== null).map(([u, v]) => [u, v.role]).sort());
      const want = JSON.stringify([...serverRoles].sort());
      return roles === want ? null : `${o.user} members ${roles} != ${want}`;
    };
    let last: string | null = null;
    await until(
      () => {
        last = observed.map(differs).find((d) => d !== null) ?? null;
        return last === null;
      },
      20_000,
      `round ${round}: devices to converge`,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}: ${last}`);
    });
  };

  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 15; i++) await step();
    if (round === 3 && !env.DATABASE_URL) server = await server.restart(); // a restart mid-run (same file)
    if (round === 3) proxy.retarget(server.port);
    await converge(round);
  }
}

describe('C5 property: devices offline for random windows end in the state of the server', () => {
  it('C5 on SQLite: random sends, deletions and membership changes through cuts, offline windows and a restart', async () => {
    await run({}, 0xc5);
  }, 120_000);

  it('C5 on PostgreSQL: the same, against the cluster store', async () => {
    db = await createTestDatabase();
    await run({ DATABASE_URL: await db.schemaUrl('c5') }, 0x5c);
  }, 120_000);
});
