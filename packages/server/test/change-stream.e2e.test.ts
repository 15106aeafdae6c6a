import { afterEach, describe, expect, it } from 'vitest';
import {
  type Frame,
  isMessage,
  makeGroup,
  messageOf,
  registerUsers,
  SocketPool,
  sendMessages,
} from './helpers/delivery-kit.js';
import { rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { syncRequest } from './helpers/sync.js';
import type { TestSocket } from './helpers/test-socket.js';

type SyncResult = {
  conversations: {
    conversation_id: string;
    from_rev: number | null;
    last_rev: number;
    replayed: number;
    must_page: boolean;
  }[];
  revs: Record<string, number>;
};
type WireMessage = { id: string; seq: number; rev: number; kind: string; text: string; deleted_at?: string };

let server: TestServer;
const pool = new SocketPool(() => server);
afterEach(async () => {
  pool.closeAll();
  await server?.stop();
});

async function sync(s: TestSocket, payload: Record<string, unknown>) {
  const { result, at } = await syncRequest<SyncResult>(s, payload);
  return { result, before: s.frames.slice(0, at) };
}

const historyOf = async (s: TestSocket, conversationId: string) =>
  (await s.call<{ messages: WireMessage[] }>('msg.history', { conversation_id: conversationId, limit: 50 })).messages;

describe('the change stream (C5)', () => {
  it('C5: a deletion (seed 001 DELETE) reaches devices online as msg.updated and devices offline in their next sync', async () => {
    server = await startServer();
    const [alice, bob] = await registerUsers(server.app, ['alice', 'bob']);
    const group = await makeGroup(server.app, alice, [bob], 'Study');
    await sendMessages(server.app, alice, group, 3, 'm'); // seq 1..3, rev 1..3

    const online = await pool.connect(bob.token);
    const offline = await pool.connect(bob.token);
    const first = await sync(offline, { revs: { [group]: 0 }, positions: { [group]: 0 } });
    expect(first.result.revs[group]).toBe(3);
    const held = new Map(
      first.before.filter(isMessage(group)).map((f) => [messageOf(f).seq, f.message as WireMessage]),
    );
    expect([...held.keys()]).toEqual([1, 2, 3]);
    offline.close();
    await offline.closed;

    const second = held.get(2) as WireMessage;
    const del = await rest(server.app, alice.token).delete(`/api/messages/${second.id}`);
    expect(del.status).toBe(200);

    // online: pushed at once, the whole new state at the next revision
    const pushed = await online.wait((f) => f.type === 'msg.updated');
    expect(pushed.message).toMatchObject({ id: second.id, seq: 2, rev: 4, kind: 'deleted', text: '' });
    expect((pushed.message as WireMessage).deleted_at).toEqual(expect.any(String));

    // offline: the next sync from the revision it holds carries the change, and only it
    const back = await pool.connect(bob.token);
    const { result, before } = await sync(back, { revs: { [group]: 3 }, positions: { [group]: 3 } });
    const replayed = before.filter((f: Frame) => f.type === 'msg.updated' || f.type === 'msg.new');
    expect(replayed.map((f) => [f.type, (f.message as WireMessage).seq, (f.message as WireMessage).rev])).toEqual([
      ['msg.updated', 2, 4],
    ]);
    expect(result.conversations).toEqual([
      expect.objectContaining({ conversation_id: group, from_rev: 3, last_rev: 4, replayed: 1, must_page: false }),
    ]);
    expect(result.revs[group]).toBe(4);
    // and history shows the same state everywhere
    expect((await historyOf(back, group)).map((m) => [m.seq, m.kind, m.text, m.rev])).toEqual([
      [1, 'text', 'm1', 1],
      [2, 'deleted', '', 4],
      [3, 'text', 'm3', 3],
    ]);
    // deleting again is no change: nothing pushed, same revision
    expect((await rest(server.app, alice.token).delete(`/api/messages/${second.id}`)).status).toBe(200);
    expect((await sync(back, { revs: { [group]: 4 } })).result.conversations).toEqual([]);
  });

  it('C5: membership changes and new messages made while a device was away replay in revision order; nothing twice', async () => {
    server = await startServer();
    const [owner, bob, carol, dave] = await registerUsers(server.app, ['owner', 'bob', 'carol', 'dave']);
    const group = await makeGroup(server.app, owner, [bob, carol], 'Club');
    await sendMessages(server.app, owner, group, 2, 'a'); // rev 1, 2
    const gid = Number(group.slice(2));
    const api = rest(server.app, owner.token);
    expect((await api.post(`/v1/groups/${gid}/members`, { user_ids: [dave.id] })).status).toBeLessThan(300); // rev 3
    await sendMessages(server.app, carol, group, 1, 'c'); // rev 4
    expect((await api.delete(`/v1/groups/${gid}/members/${carol.id}`)).status).toBeLessThan(300); // rev 5
    expect((await api.patch(`/v1/groups/${gid}/members/${dave.id}`, { role: 'admin' })).status).toBeLessThan(300); // rev 6

    const back = await pool.connect(bob.token);
    const { result, before } = await sync(back, { revs: { [group]: 2 }, positions: { [group]: 2 } });
    const changes = before
      .filter(
        (f) =>
          (f.type === 'conv.member' || f.type === 'msg.new') &&
          (f.conversation_id ?? (f.message as { conversation_id: string })?.conversation_id) === group,
      )
      .map((f) =>
        f.type === 'msg.new' ? ['msg.new', (f.message as WireMessage).rev] : [`member.${f.change as string}`, f.rev],
      );
    expect(changes).toEqual([
      ['member.added', 3],
      ['msg.new', 4],
      ['member.removed', 5],
      ['member.role', 6],
    ]);
    expect(result.revs[group]).toBe(6);

    // live changes after the sync continue from its revision
    await sendMessages(server.app, owner, group, 1, 'live');
    const live = await back.wait(isMessage(group, 4));
    expect((live.message as WireMessage).rev).toBe(7);
  });

  it('C5: a device that names no revision syncs by seq and learns the revision of every conversation', async () => {
    server = await startServer();
    const [alice, bob] = await registerUsers(server.app, ['alice', 'bob']);
    const group = await makeGroup(server.app, alice, [bob], 'G');
    await sendMessages(server.app, alice, group, 2, 'x');
    const s = await pool.connect(bob.token);
    const { result } = await sync(s, { positions: { [group]: 2 } });
    expect(result.conversations).toEqual([]);
    expect(result.revs).toEqual({ [group]: 2 });
    await expect(s.request('sync', { revs: { [group]: -1 } })).resolves.toMatchObject({
      type: 'error',
      code: 'VALIDATION_FAILED',
      field: 'revs',
    });
  });
});
