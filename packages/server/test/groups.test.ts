import { dmConversationId } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register, rest } from './helpers/rest.js';
import { barrier, nextMillisecond } from './helpers/sync.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';
import { errorOf, hostUser } from './helpers/users.js';

type Who = { id: string | number; token: string };
type WireGroup = {
  id: number;
  conversation_id: string;
  name: string;
  description: string;
  avatar_url: string | null;
  visibility: 'public' | 'private';
  member_count: number;
  created_by: string | number;
  created_at: string;
};
type GroupView = { group: WireGroup; my_role: string | null };
type Member = { user: { id: string | number; username: string | null }; role: string; joined_at: string };
type WireMessage = { id: string; seq: number; text: string; sender_id: string | number; conversation_id: string };
type Conversation = {
  id: string;
  kind: 'dm' | 'group';
  peer: ({ id: string | number; username: string | null; presence: { status: string } } & object) | null;
  group: WireGroup | null;
  last_message: WireMessage | null;
  last_seq: number;
  read_seq: number;
  unread_count: number;
  last_activity_at: string;
};
type ConversationList = { conversations: Conversation[]; total_unread: number };
type ReadResult = { conversation_id: string; read_seq: number; unread_count: number; total_unread: number };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let server: TestServer;
const sockets: TestSocket[] = [];
const connect = async (token: string) => {
  const s = await TestSocket.connect(server.wsUrl, token);
  sockets.push(s);
  return s;
};
const api = (u: { token: string }) => rest(server.app, u.token);

async function createGroup(owner: Who, input: Record<string, unknown>): Promise<GroupView> {
  const res = await api(owner).post('/v1/groups', input);
  if (res.status !== 201) throw new Error(`create group: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as GroupView;
}
const members = async (u: Who, groupId: number) =>
  ((await api(u).get(`/v1/groups/${groupId}/members`)).body as { members: Member[] }).members;
const rolesOf = async (u: Who, groupId: number) =>
  Object.fromEntries((await members(u, groupId)).map((m) => [String(m.user.id), m.role]));
const setRole = (owner: Who, groupId: number, user: Who, role: string) =>
  api(owner).patch(`/v1/groups/${groupId}/members/${user.id}`, { role });
const sendRest = (u: Who, conversationId: string, text: string) =>
  api(u).post(`/v1/conversations/${conversationId}/messages`, { text });
const listOf = async (u: Who) => (await api(u).get('/v1/conversations')).body as ConversationList;
const readRest = async (u: Who, conversationId: string, seq: number) =>
  (await api(u).post(`/v1/conversations/${conversationId}/read`, { seq })).body as ReadResult;

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server.stop();
});

describe('groups', () => {
  it('creating a group answers 201 with the creator as owner, the member count and private visibility by default', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const res = await api(alice).post('/v1/groups', { name: 'Calculus', member_ids: [bob.id, bob.id, alice.id] });
    expect(res.status).toBe(201);
    const view = res.body as GroupView;
    expect(view.my_role).toBe('owner');
    expect(view.group).toEqual({
      id: expect.any(Number),
      conversation_id: `g:${view.group.id}`,
      name: 'Calculus',
      description: '',
      avatar_url: null,
      visibility: 'private',
      member_count: 2,
      created_by: alice.id,
      created_at: expect.stringMatching(ISO),
      rev: 0,
    });
    expect(await rolesOf(alice, view.group.id)).toEqual({ [alice.id]: 'owner', [bob.id]: 'member' });

    const pub = await createGroup(alice, {
      name: 'Open',
      description: 'anyone',
      visibility: 'public',
      avatar_url: 'https://cdn.example.com/g.png',
    });
    expect(pub.group).toMatchObject({
      visibility: 'public',
      description: 'anyone',
      avatar_url: 'https://cdn.example.com/g.png',
      member_count: 1,
    });
  });

  it('creating a group refuses unknown members (404) and a missing name (400)', async () => {
    const alice = await register(server.app, 'alice');
    const unknown = await api(alice).post('/v1/groups', { name: 'X', member_ids: ['u_nobody'] });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe('NOT_FOUND');
    const noName = await api(alice).post('/v1/groups', {});
    expect(noName.status).toBe(400);
    expect(errorOf(noName.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name' });
    expect((await api(alice).get('/v1/groups')).body).toEqual({ groups: [] });
  });

  it('S1: members read a group; non-members of a private group get 403 NOT_MEMBER; anyone reads a public group', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const eve = await register(server.app, 'eve');
    const priv = await createGroup(alice, { name: 'Private', member_ids: [bob.id] });
    const pub = await createGroup(alice, { name: 'Public', visibility: 'public' });

    const asMember = await api(bob).get(`/v1/groups/${priv.group.id}`);
    expect(asMember.status).toBe(200);
    expect(asMember.body).toEqual({ group: priv.group, my_role: 'member' });

    const asStranger = await api(eve).get(`/v1/groups/${priv.group.id}`);
    expect(asStranger.status).toBe(403);
    expect(errorOf(asStranger.body).code).toBe('NOT_MEMBER');
    expect((await api(eve).get(`/v1/groups/${priv.group.id}/members`)).status).toBe(403);

    const publicRead = await api(eve).get(`/v1/groups/${pub.group.id}`);
    expect(publicRead.status).toBe(200);
    expect(publicRead.body).toEqual({ group: pub.group, my_role: null });

    expect((await api(eve).get('/v1/groups/999999')).status).toBe(404);
    expect((await api(eve).get('/v1/groups/not-a-number')).status).toBe(404);
  });

  it('the owner and admins can edit the group (200); a plain member gets 403 FORBIDDEN, a non-member 403 NOT_MEMBER', async () => {
    const owner = await register(server.app, 'olga');
    const admin = await register(server.app, 'adam');
    const member = await register(server.app, 'mona');
    const outsider = await register(server.app, 'otto');
    const { group } = await createGroup(owner, { name: 'Team', member_ids: [admin.id, member.id] });
    expect((await setRole(owner, group.id, admin, 'admin')).status).toBe(204);

    const byOwner = await api(owner).patch(`/v1/groups/${group.id}`, { name: 'Team A', description: 'the A team' });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).toMatchObject({ group: { name: 'Team A', description: 'the A team' }, my_role: 'owner' });

    const byAdmin = await api(admin).patch(`/v1/groups/${group.id}`, {
      visibility: 'public',
      avatar_url: 'https://cdn.example.com/team.png',
    });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body).toMatchObject({
      group: { name: 'Team A', visibility: 'public', avatar_url: 'https://cdn.example.com/team.png', member_count: 3 },
      my_role: 'admin',
    });

    const byMember = await api(member).patch(`/v1/groups/${group.id}`, { name: 'Hijacked' });
    expect(byMember.status).toBe(403);
    expect(errorOf(byMember.body).code).toBe('FORBIDDEN');
    const byOutsider = await api(outsider).patch(`/v1/groups/${group.id}`, { name: 'Hijacked' });
    expect(byOutsider.status).toBe(403);
    expect(errorOf(byOutsider.body).code).toBe('NOT_MEMBER');
    const badUrl = await api(owner).patch(`/v1/groups/${group.id}`, { avatar_url: 'javascript:alert(1)' });
    expect(badUrl.status).toBe(400);

    expect(((await api(member).get(`/v1/groups/${group.id}`)).body as GroupView).group.name).toBe('Team A');
  });

  it('lists the members with their roles and join times', async () => {
    const owner = await register(server.app, 'olga');
    const admin = await register(server.app, 'adam');
    const member = await register(server.app, 'mona');
    const { group } = await createGroup(owner, { name: 'Team', member_ids: [admin.id, member.id] });
    await setRole(owner, group.id, admin, 'admin');
    const list = await members(member, group.id);
    expect(list).toHaveLength(3);
    for (const m of list) expect(m.joined_at).toMatch(ISO);
    expect(list.find((m) => m.user.id === admin.id)).toMatchObject({
      user: { id: admin.id, username: 'adam' },
      role: 'admin',
    });
    expect(await rolesOf(member, group.id)).toEqual({
      [owner.id]: 'owner',
      [admin.id]: 'admin',
      [member.id]: 'member',
    });
  });

  it('admins add members; plain members cannot (403 FORBIDDEN) and unknown users are 404', async () => {
    const owner = await register(server.app, 'olga');
    const admin = await register(server.app, 'adam');
    const member = await register(server.app, 'mona');
    const newbie = await register(server.app, 'nina');
    const other = await register(server.app, 'oscar');
    const { group } = await createGroup(owner, { name: 'Team', member_ids: [admin.id, member.id] });
    await setRole(owner, group.id, admin, 'admin');

    const byAdmin = await api(admin).post(`/v1/groups/${group.id}/members`, { user_ids: [newbie.id, member.id] });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body).toEqual({ added: [newbie.id] });
    expect((await rolesOf(owner, group.id))[newbie.id]).toBe('member');
    expect(((await api(newbie).get(`/v1/groups/${group.id}`)).body as GroupView).group.member_count).toBe(4);

    const byMember = await api(member).post(`/v1/groups/${group.id}/members`, { user_ids: [other.id] });
    expect(byMember.status).toBe(403);
    expect(errorOf(byMember.body).code).toBe('FORBIDDEN');
    const unknown = await api(admin).post(`/v1/groups/${group.id}/members`, { user_ids: ['u_nobody'] });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe('NOT_FOUND');
    const empty = await api(admin).post(`/v1/groups/${group.id}/members`, { user_ids: [] });
    expect(empty.status).toBe(400);
    expect(Object.keys(await rolesOf(owner, group.id))).toHaveLength(4);
  });

  it('numeric host user ids stay JSON numbers in group payloads (created_by, members, added, conv.member)', async () => {
    const owner = await hostUser(server.app, '11', 'eleven');
    const twelve = await hostUser(server.app, '12', 'twelve');
    const thirteen = await hostUser(server.app, '13', 'thirteen');
    expect(owner.id).toBe(11);
    const s = await connect(twelve.token);
    const { group } = await createGroup(owner, { name: 'Numbers', member_ids: [12] });
    expect(group.created_by).toBe(11);
    const added = await api(owner).post(`/v1/groups/${group.id}/members`, { user_ids: [13] });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ added: [thirteen.id] });
    expect((await members(owner, group.id)).map((m) => m.user.id).sort()).toEqual([11, 12, 13]);
    const ev = await s.next((f) => f.type === 'conv.member' && f.change === 'added' && f.user_id === 13);
    expect(ev).toMatchObject({ conversation_id: group.conversation_id, role: 'member' });
  });

  it('admins remove plain members (204); they cannot remove the owner or another admin (403); the owner can', async () => {
    const owner = await register(server.app, 'olga');
    const admin = await register(server.app, 'adam');
    const admin2 = await register(server.app, 'ada');
    const member = await register(server.app, 'mona');
    const member2 = await register(server.app, 'max');
    const { group } = await createGroup(owner, {
      name: 'Team',
      member_ids: [admin.id, admin2.id, member.id, member2.id],
    });
    await setRole(owner, group.id, admin, 'admin');
    await setRole(owner, group.id, admin2, 'admin');

    expect((await api(admin).delete(`/v1/groups/${group.id}/members/${member.id}`)).status).toBe(204);
    const ownerRemoval = await api(admin).delete(`/v1/groups/${group.id}/members/${owner.id}`);
    expect(ownerRemoval.status).toBe(403);
    expect(errorOf(ownerRemoval.body).code).toBe('FORBIDDEN');
    const adminRemoval = await api(admin).delete(`/v1/groups/${group.id}/members/${admin2.id}`);
    expect(adminRemoval.status).toBe(403);
    expect(errorOf(adminRemoval.body).code).toBe('FORBIDDEN');
    const byMember = await api(member2).delete(`/v1/groups/${group.id}/members/${admin.id}`);
    expect(byMember.status).toBe(403);
    const notThere = await api(admin).delete(`/v1/groups/${group.id}/members/${member.id}`);
    expect(notThere.status).toBe(404);

    expect((await api(owner).delete(`/v1/groups/${group.id}/members/${admin2.id}`)).status).toBe(204);
    expect(await rolesOf(owner, group.id)).toEqual({
      [owner.id]: 'owner',
      [admin.id]: 'admin',
      [member2.id]: 'member',
    });
  });

  it('only the owner sets roles; making another member owner transfers ownership and the old owner becomes admin', async () => {
    const owner = await register(server.app, 'olga');
    const admin = await register(server.app, 'adam');
    const member = await register(server.app, 'mona');
    const { group } = await createGroup(owner, { name: 'Team', member_ids: [admin.id, member.id] });
    const m = await connect(member.token);
    expect((await setRole(owner, group.id, admin, 'admin')).status).toBe(204);

    const byAdmin = await setRole(admin, group.id, member, 'admin');
    expect(byAdmin.status).toBe(403);
    expect(errorOf(byAdmin.body).code).toBe('FORBIDDEN');
    const self = await setRole(owner, group.id, owner, 'member');
    expect(self.status).toBe(403);
    const badRole = await setRole(owner, group.id, member, 'emperor');
    expect(badRole.status).toBe(400);
    const outsider = await register(server.app, 'otto');
    expect((await setRole(owner, group.id, outsider, 'admin')).status).toBe(404);

    expect((await setRole(owner, group.id, member, 'owner')).status).toBe(204);
    expect(await rolesOf(owner, group.id)).toEqual({
      [owner.id]: 'admin',
      [admin.id]: 'admin',
      [member.id]: 'owner',
    });
    expect(((await api(owner).get(`/v1/groups/${group.id}`)).body as GroupView).my_role).toBe('admin');
    expect(((await api(member).get(`/v1/groups/${group.id}`)).body as GroupView).my_role).toBe('owner');
    // the old owner has lost the owner's powers
    expect((await setRole(owner, group.id, admin, 'member')).status).toBe(403);
    // members hear about both role changes
    await m.next((f) => f.type === 'conv.member' && f.change === 'role' && f.user_id === member.id);
    const demoted = await m.next((f) => f.type === 'conv.member' && f.change === 'role' && f.user_id === owner.id);
    expect(demoted.role).toBe('admin');
  });

  it('anyone can join a public group (200, as member); joining a private group is 403 FORBIDDEN', async () => {
    const owner = await register(server.app, 'olga');
    const joiner = await register(server.app, 'joe');
    const pub = await createGroup(owner, { name: 'Open', visibility: 'public' });
    const priv = await createGroup(owner, { name: 'Closed' });

    const joined = await api(joiner).post(`/v1/groups/${pub.group.id}/join`);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ group: { id: pub.group.id, member_count: 2 }, my_role: 'member' });
    // joining again changes nothing
    const again = await api(joiner).post(`/v1/groups/${pub.group.id}/join`);
    expect(again.body).toMatchObject({ group: { member_count: 2 }, my_role: 'member' });
    expect((await sendRest(joiner, pub.group.conversation_id, 'hello all')).status).toBe(201);

    const refused = await api(joiner).post(`/v1/groups/${priv.group.id}/join`);
    expect(refused.status).toBe(403);
    expect(errorOf(refused.body).code).toBe('FORBIDDEN');
    expect((await api(joiner).get(`/v1/groups/${priv.group.id}`)).status).toBe(403);
  });

  it('leaving is 204; an owner who leaves hands ownership to an admin, even one who joined after a member', async () => {
    const owner = await register(server.app, 'olga');
    const member = await register(server.app, 'mona');
    const admin = await register(server.app, 'adam');
    const { group } = await createGroup(owner, { name: 'Team', member_ids: [member.id] });
    await nextMillisecond();
    await api(owner).post(`/v1/groups/${group.id}/members`, { user_ids: [admin.id] });
    await setRole(owner, group.id, admin, 'admin');
    const s = await connect(member.token);

    const left = await api(owner).post(`/v1/groups/${group.id}/leave`);
    expect(left.status).toBe(204);
    expect(await rolesOf(member, group.id)).toEqual({ [admin.id]: 'owner', [member.id]: 'member' });
    const ev = await s.next((f) => f.type === 'conv.member' && f.change === 'role' && f.user_id === admin.id);
    expect(ev.role).toBe('owner');
    expect((await api(owner).get(`/v1/groups/${group.id}`)).status).toBe(403);
    const leaveAgain = await api(owner).post(`/v1/groups/${group.id}/leave`);
    expect(leaveAgain.status).toBe(403);
    expect(errorOf(leaveAgain.body).code).toBe('NOT_MEMBER');

    // a plain member leaving changes no roles
    expect((await api(member).post(`/v1/groups/${group.id}/leave`)).status).toBe(204);
    expect(await rolesOf(admin, group.id)).toEqual({ [admin.id]: 'owner' });
  });

  it('an owner who leaves with no admin hands ownership to the longest-standing member', async () => {
    // ids chosen so that the later member sorts first: only the join time can pick the heir
    const owner = await hostUser(server.app, 'owner-1');
    const early = await hostUser(server.app, 'zz-early');
    const late = await hostUser(server.app, 'aa-late');
    const { group } = await createGroup(owner, { name: 'Heirs' });
    await nextMillisecond();
    await api(owner).post(`/v1/groups/${group.id}/members`, { user_ids: [early.id] });
    await nextMillisecond();
    await api(owner).post(`/v1/groups/${group.id}/members`, { user_ids: [late.id] });

    expect((await api(owner).post(`/v1/groups/${group.id}/leave`)).status).toBe(204);
    expect(await rolesOf(early, group.id)).toEqual({ 'zz-early': 'owner', 'aa-late': 'member' });
  });

  it('GET /v1/groups lists my groups with my_role', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const mine = await createGroup(alice, { name: 'Mine', member_ids: [bob.id] });
    const theirs = await createGroup(bob, { name: 'Theirs', member_ids: [alice.id] });
    await createGroup(bob, { name: 'Not mine' });
    const res = await api(alice).get('/v1/groups');
    expect(res.status).toBe(200);
    const groups = (res.body as { groups: (WireGroup & { my_role: string })[] }).groups;
    expect(groups.map((g) => [g.name, g.my_role]).sort()).toEqual([
      ['Mine', 'owner'],
      ['Theirs', 'member'],
    ]);
    expect(groups.find((g) => g.id === theirs.group.id)).toEqual({ ...theirs.group, my_role: 'member' });
    expect(groups.find((g) => g.id === mine.group.id)?.member_count).toBe(2);
  });

  it('conv.member events reach the members’ sockets on create, add, role change and removal', async () => {
    const owner = await register(server.app, 'olga');
    const bob = await register(server.app, 'bob');
    const carol = await register(server.app, 'carol');
    const o = await connect(owner.token);
    const b = await connect(bob.token);
    const c = await connect(carol.token);
    const { group } = await createGroup(owner, { name: 'Team', member_ids: [bob.id] });
    const conv = group.conversation_id;
    const member = (change: string, userId: string) => (f: Record<string, unknown>) =>
      f.type === 'conv.member' && f.conversation_id === conv && f.change === change && f.user_id === userId;

    // at creation each member hears of its own addition only (the initial state, revision 0)
    expect(await o.next(member('added', owner.id))).toMatchObject({ role: 'owner', rev: 0 });
    expect(await b.next(member('added', bob.id))).toMatchObject({ role: 'member', rev: 0 });
    await api(owner).post(`/v1/groups/${group.id}/members`, { user_ids: [carol.id] });
    for (const s of [o, b, c]) expect(await s.next(member('added', carol.id))).toMatchObject({ role: 'member' });

    await setRole(owner, group.id, carol, 'admin');
    for (const s of [o, b, c]) expect(await s.next(member('role', carol.id))).toMatchObject({ role: 'admin' });

    await api(owner).delete(`/v1/groups/${group.id}/members/${bob.id}`);
    // the removed member is told too, as are those who stay
    for (const s of [o, b, c]) expect(await s.next(member('removed', bob.id))).toMatchObject({ role: null });
  });

  it('16.5: creating a group of 40 sends each connected member one conv.member (its own addition), not one per member', async () => {
    const owner = await register(server.app, 'olga');
    const others = await Promise.all(Array.from({ length: 39 }, (_, i) => register(server.app, `member${i}`)));
    const sockets = await Promise.all([owner, ...others.slice(0, 9)].map((u) => connect(u.token)));
    const { group } = await createGroup(owner, { name: 'Big', member_ids: others.map((u) => u.id) });
    // a message after the creation marks the end of what the creation sent
    await api(owner).post(`/v1/conversations/${group.conversation_id}/messages`, { text: 'welcome' });
    for (const [i, s] of sockets.entries()) {
      await s.next((f) => f.type === 'msg.new' && (f.message as { text: string }).text === 'welcome');
      const events = s.frames.filter((f) => f.type === 'conv.member' && f.conversation_id === group.conversation_id);
      expect(events.map((f) => f.user_id)).toEqual([[owner, ...others][i]?.id]);
    }
  });

  it('S1: a removed member can no longer read the history (403 NOT_MEMBER), send, or receive new messages', async () => {
    const owner = await register(server.app, 'olga');
    const bob = await register(server.app, 'bob');
    const { group } = await createGroup(owner, { name: 'Team', member_ids: [bob.id] });
    const conv = group.conversation_id;
    const o = await connect(owner.token);
    const b = await connect(bob.token);
    await o.call('msg.send', { conversation_id: conv, text: 'before' });
    await b.next((f) => f.type === 'msg.new');
    expect((await api(bob).get(`/v1/conversations/${conv}/messages`)).status).toBe(200);

    await api(owner).delete(`/v1/groups/${group.id}/members/${bob.id}`);

    const history = await api(bob).get(`/v1/conversations/${conv}/messages`);
    expect(history.status).toBe(403);
    expect(errorOf(history.body).code).toBe('NOT_MEMBER');
    expect(await b.request('msg.history', { conversation_id: conv })).toMatchObject({
      type: 'error',
      code: 'NOT_MEMBER',
    });
    expect(await b.request('msg.send', { conversation_id: conv, text: 'still here?' })).toMatchObject({
      type: 'error',
      code: 'NOT_MEMBER',
    });
    const restSend = await sendRest(bob, conv, 'still here?');
    expect(restSend.status).toBe(403);
    expect(errorOf(restSend.body).code).toBe('NOT_MEMBER');
    expect(await b.request('conv.read', { conversation_id: conv, seq: 1 })).toMatchObject({
      type: 'error',
      code: 'NOT_MEMBER',
    });

    // nothing sent after the removal reaches the removed member
    await o.call('msg.send', { conversation_id: conv, text: 'after' });
    await barrier(b);
    expect(b.events('msg.new').map((f) => (f.message as WireMessage).text)).toEqual(['before']);
    // and the group is gone from their conversation list
    expect((await listOf(bob)).conversations.map((c) => c.id)).not.toContain(conv);
  });
});

describe('conversation list and read positions', () => {
  it('U1: the list shows peer or group, last message and unread_count from read positions, latest activity first, with total_unread', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const carol = await register(server.app, 'carol');
    const a = await connect(alice.token);

    const quiet = await createGroup(alice, { name: 'Quiet' });
    await nextMillisecond();
    for (const text of ['d1', 'd2', 'd3']) {
      expect((await api(bob).post('/v1/messages', { to_user_id: alice.id, text })).status).toBe(201);
    }
    const dm = dmConversationId(alice.id, bob.id);
    await nextMillisecond();
    const book = await createGroup(carol, { name: 'Book club', member_ids: [alice.id] });
    for (const text of ['g1', 'g2']) await sendRest(carol, book.group.conversation_id, text);

    const list = await listOf(alice);
    expect(list.total_unread).toBe(5);
    expect(list.conversations.map((c) => c.id)).toEqual([book.group.conversation_id, dm, quiet.group.conversation_id]);
    const [g, d, q] = list.conversations as [Conversation, Conversation, Conversation];
    expect(g).toMatchObject({
      kind: 'group',
      peer: null,
      group: { id: book.group.id, name: 'Book club', member_count: 2, visibility: 'private' },
      last_message: { text: 'g2', seq: 2, sender_id: carol.id },
      last_seq: 2,
      read_seq: 0,
      unread_count: 2,
    });
    expect(d).toMatchObject({
      kind: 'dm',
      group: null,
      peer: { id: bob.id, username: 'bob', presence: { user_id: bob.id, status: 'offline' } },
      last_message: { text: 'd3', seq: 3, sender_id: bob.id },
      last_seq: 3,
      read_seq: 0,
      unread_count: 3,
    });
    expect(q).toMatchObject({ kind: 'group', last_message: null, last_seq: 0, unread_count: 0 });
    for (const c of list.conversations) expect(c.last_activity_at).toMatch(ISO);
    // bob has not written to carol: no empty DM shows up for anyone
    expect((await listOf(carol)).conversations.map((c) => c.kind)).toEqual(['group']);

    // the WebSocket list is the same
    expect(await a.call('conv.list')).toEqual(list);

    // reading moves unread counts
    expect(await readRest(alice, dm, 2)).toEqual({
      conversation_id: dm,
      read_seq: 2,
      unread_count: 1,
      total_unread: 3,
    });
    // read_seq only moves forward
    expect(await readRest(alice, dm, 1)).toEqual({
      conversation_id: dm,
      read_seq: 2,
      unread_count: 1,
      total_unread: 3,
    });
    // and never past the last message
    expect(await readRest(alice, dm, 999)).toEqual({
      conversation_id: dm,
      read_seq: 3,
      unread_count: 0,
      total_unread: 2,
    });
    const ws = await a.call<ReadResult>('conv.read', { conversation_id: book.group.conversation_id, seq: 1 });
    expect(ws).toEqual({ conversation_id: book.group.conversation_id, read_seq: 1, unread_count: 1, total_unread: 1 });

    // new activity reorders the list
    await nextMillisecond();
    await api(bob).post('/v1/messages', { to_user_id: alice.id, text: 'd4' });
    const after = await listOf(alice);
    expect(after.conversations.map((c) => [c.id, c.unread_count, c.read_seq])).toEqual([
      [dm, 1, 3],
      [book.group.conversation_id, 1, 1],
      [quiet.group.conversation_id, 0, 0],
    ]);
    expect(after.total_unread).toBe(2);
  });

  it('U1: sending advances your own read position; your own messages never count as unread', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await connect(alice.token);
    for (const text of ['b1', 'b2']) await api(bob).post('/v1/messages', { to_user_id: alice.id, text });
    const dm = dmConversationId(alice.id, bob.id);
    expect((await listOf(alice)).conversations[0]).toMatchObject({ read_seq: 0, unread_count: 2 });

    await a.call('msg.send', { conversation_id: dm, text: 'a3' });
    const alices = await listOf(alice);
    expect(alices.conversations[0]).toMatchObject({ last_seq: 3, read_seq: 3, unread_count: 0 });
    expect(alices.total_unread).toBe(0);
    const bobs = await listOf(bob);
    expect(bobs.conversations[0]).toMatchObject({ last_seq: 3, read_seq: 2, unread_count: 1 });
    expect(bobs.total_unread).toBe(1);

    // in a group, only the others' messages count
    const carol = await register(server.app, 'carol');
    const { group } = await createGroup(alice, { name: 'Trio', member_ids: [bob.id, carol.id] });
    await sendRest(alice, group.conversation_id, 'mine 1');
    await sendRest(carol, group.conversation_id, 'carol 1');
    await sendRest(alice, group.conversation_id, 'mine 2');
    await sendRest(carol, group.conversation_id, 'carol 2');
    const row = (await listOf(alice)).conversations.find((c) => c.id === group.conversation_id);
    expect(row).toMatchObject({ last_seq: 4, read_seq: 3, unread_count: 1 });
    const bobRow = (await listOf(bob)).conversations.find((c) => c.id === group.conversation_id);
    expect(bobRow).toMatchObject({ read_seq: 0, unread_count: 4 });
  });

  it('U2: reading on one device pushes conv.read with the new counts to the user’s other devices, not to others', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a1 = await connect(alice.token);
    const a2 = await connect(alice.token);
    const b = await connect(bob.token);
    for (const text of ['1', '2', '3']) await b.call('msg.send', { to_user_id: alice.id, text });
    const dm = dmConversationId(alice.id, bob.id);
    const { group } = await createGroup(bob, { name: 'Pair', member_ids: [alice.id] });
    await b.call('msg.send', { conversation_id: group.conversation_id, text: 'g' });

    const result = await a1.call<ReadResult>('conv.read', { conversation_id: dm, seq: 2 });
    expect(result).toEqual({ conversation_id: dm, read_seq: 2, unread_count: 1, total_unread: 2 });
    const pushed = await a2.next((f) => f.type === 'conv.read' && f.conversation_id === dm);
    expect(pushed).toEqual({ type: 'conv.read', ...result });

    // a read over REST reaches every device
    await readRest(alice, dm, 3);
    for (const s of [a1, a2]) {
      const ev = await s.next((f) => f.type === 'conv.read' && f.conversation_id === dm && f.read_seq === 3);
      expect(ev).toMatchObject({ unread_count: 0, total_unread: 1 });
    }
    // the other user's read position is private to them
    await barrier(b);
    expect(b.events('conv.read')).toEqual([]);
  });

  it('reading a DM that has no messages yet is 404, and someone else’s DM is 403 NOT_MEMBER', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const eve = await register(server.app, 'eve');
    const dm = dmConversationId(alice.id, bob.id);
    expect((await api(alice).post(`/v1/conversations/${dm}/read`, { seq: 1 })).status).toBe(404);
    await api(bob).post('/v1/messages', { to_user_id: alice.id, text: 'hi' });
    const spy = await api(eve).post(`/v1/conversations/${dm}/read`, { seq: 1 });
    expect(spy.status).toBe(403);
    expect(errorOf(spy.body).code).toBe('NOT_MEMBER');
    expect((await api(eve).get(`/v1/conversations/${dm}/messages`)).status).toBe(403);
  });
});
