import { afterEach, describe, expect, it } from 'vitest';
import { register, rest } from '../helpers/rest.js';
import { barrier } from '../helpers/sync.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';
import { befriend, errorOf } from '../helpers/users.js';

/**
 * Issue 16 item 4: a block and the friends-only DM policy are not bypassed through groups or typing. Victim has
 * blocked Mallory; Carol is a friend of both.
 */

let server: TestServer;
const sockets: TestSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server.stop();
});

type User = Awaited<ReturnType<typeof register>>;

async function cast(env: Record<string, string> = {}) {
  server = await startServer(env);
  const victim = await register(server.app, 'victim');
  const mallory = await register(server.app, 'mallory');
  const carol = await register(server.app, 'carol');
  return { victim, mallory, carol };
}
const connect = async (u: User) => {
  const s = await TestSocket.connect(server.wsUrl, u.token);
  sockets.push(s);
  return s;
};
const createGroup = (by: User, members: User[]) =>
  rest(server.app, by.token).post('/v1/groups', { name: 'Group', member_ids: members.map((m) => m.id) });
const groupsOf = async (u: User) =>
  ((await rest(server.app, u.token).get('/v1/conversations')).body as { conversations: unknown[] }).conversations;

describe('blocks hold in groups (issue 16.4)', () => {
  it('a blocked user cannot create a group with you: 403 BLOCKED, and no group appears', async () => {
    const { victim, mallory } = await cast();
    expect((await rest(server.app, victim.token).put(`/v1/blocks/${mallory.id}`)).status).toBe(204);
    const res = await createGroup(mallory, [victim]);
    expect(res.status).toBe(403);
    expect(errorOf(res.body).code).toBe('BLOCKED');
    expect(await groupsOf(victim)).toEqual([]);
  });

  it('a blocked user cannot add you to an existing group', async () => {
    const { victim, mallory, carol } = await cast();
    await rest(server.app, victim.token).put(`/v1/blocks/${mallory.id}`);
    const group = (await createGroup(mallory, [carol])).body as { group: { id: number } };
    const res = await rest(server.app, mallory.token).post(`/v1/groups/${group.group.id}/members`, {
      user_ids: [victim.id],
    });
    expect(res.status).toBe(403);
    expect(errorOf(res.body).code).toBe('BLOCKED');
  });

  it('nobody else can put you in a new group with someone you blocked', async () => {
    const { victim, mallory, carol } = await cast();
    await rest(server.app, victim.token).put(`/v1/blocks/${mallory.id}`);
    expect(errorOf((await createGroup(carol, [victim, mallory])).body).code).toBe('BLOCKED');
    const group = (await createGroup(carol, [mallory])).body as { group: { id: number } };
    const add = await rest(server.app, carol.token).post(`/v1/groups/${group.group.id}/members`, {
      user_ids: [victim.id],
    });
    expect(errorOf(add.body).code).toBe('BLOCKED');
    // Groups without the blocked user are fine.
    expect((await createGroup(carol, [victim])).status).toBe(201);
  });

  it('friends-only policy: a stranger cannot put you in a group (NOT_FRIENDS); a friend can', async () => {
    const { victim, mallory, carol } = await cast({ PARLEY_DM_POLICY: 'friends' });
    const res = await createGroup(mallory, [victim]);
    expect(res.status).toBe(403);
    expect(errorOf(res.body).code).toBe('NOT_FRIENDS');
    await befriend(server.app, carol, victim);
    expect((await createGroup(carol, [victim])).status).toBe(201);
  });
});

describe('typing reaches only whom a message could (issue 16.4)', () => {
  it('a blocked user’s typing in the direct conversation is refused and never reaches you', async () => {
    const { victim, mallory } = await cast();
    await rest(server.app, victim.token).put(`/v1/blocks/${mallory.id}`);
    const v = await connect(victim);
    const m = await connect(mallory);
    const dm = `dm:${[victim.id, mallory.id].sort().join(':')}`;
    const reply = await m.request('typing', { conversation_id: dm, state: 'start', context: 'x'.repeat(200) });
    expect(reply).toMatchObject({ type: 'error', code: 'BLOCKED' });
    await barrier(v);
    expect(v.events('typing')).toEqual([]);
  });

  it('friends-only policy: a stranger’s typing is refused with NOT_FRIENDS and never reaches you', async () => {
    const { victim, mallory } = await cast({ PARLEY_DM_POLICY: 'friends' });
    const v = await connect(victim);
    const m = await connect(mallory);
    const dm = `dm:${[victim.id, mallory.id].sort().join(':')}`;
    expect(await m.request('typing', { conversation_id: dm, state: 'start' })).toMatchObject({
      type: 'error',
      code: 'NOT_FRIENDS',
    });
    await barrier(v);
    expect(v.events('typing')).toEqual([]);
  });

  it('in a group you already share, a blocked member’s typing is not relayed to you; others still see it', async () => {
    const { victim, mallory, carol } = await cast();
    const group = (await createGroup(carol, [victim, mallory])).body as { group: { conversation_id: string } };
    await rest(server.app, victim.token).put(`/v1/blocks/${mallory.id}`);
    const v = await connect(victim);
    const c = await connect(carol);
    const m = await connect(mallory);
    await m.call('typing', { conversation_id: group.group.conversation_id, state: 'start' });
    await c.next((f) => f.type === 'typing' && f.user_id === mallory.id);
    await barrier(v);
    expect(v.events('typing')).toEqual([]);
  });
});
