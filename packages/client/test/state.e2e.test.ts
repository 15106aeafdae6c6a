import { afterEach, describe, expect, it } from 'vitest';
import { ChatState, type ParleyClient } from '../src/index.js';
import { client, hostToken, rest, startServer, type TestServer, until } from './kit.js';

let server: TestServer;
const clients: ParleyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await server?.stop();
});

async function pair() {
  server = await startServer();
  const a = client({ url: server.wsUrl, token: await hostToken({ sub: '1', name: 'Ann' }) });
  const b = client({ url: server.wsUrl, token: await hostToken({ sub: '2', name: 'Ben' }) });
  clients.push(a, b);
  const sa = new ChatState(a);
  const sb = new ChatState(b);
  a.connect();
  b.connect();
  await until(() => a.state === 'connected' && b.state === 'connected');
  return { a, b, sa, sb };
}

describe('ChatState', () => {
  it('own messages go sending -> sent -> delivered -> read, from the server’s receipts', async () => {
    const { a, b, sa, sb } = await pair();
    await a.send({ toUserId: 2 }, 'ping');
    await until(() => sa.timeline('dm:1:2').some((e) => e.kind === 'message'));
    await sa.loadReceipts('dm:1:2');
    const mine = () => sa.timeline('dm:1:2').find((e) => e.kind === 'message');
    await until(() => mine()?.status === 'delivered', 5000, 'delivered'); // b's client confirmed receipt
    await until(() => sb.conversations.has('dm:1:2'));
    await b.markRead('dm:1:2', 1);
    await until(() => mine()?.status === 'read', 5000, 'read');
  });

  it('unread counts come from the server and agree across a user’s devices (U2)', async () => {
    const { a, b, sb } = await pair();
    const b2 = client({ url: server.wsUrl, token: await hostToken({ sub: '2' }) });
    clients.push(b2);
    const sb2 = new ChatState(b2);
    b2.connect();
    await until(() => b2.state === 'connected');
    for (let i = 0; i < 3; i++) await a.send({ toUserId: 2 }, `m${i}`);
    await until(() => sb.totalUnread === 3 && sb2.totalUnread === 3, 5000, 'both devices to count 3');
    await b.markRead('dm:1:2', 2);
    await until(() => sb.totalUnread === 1 && sb2.totalUnread === 1, 5000, 'both devices to count 1');
    expect(sb2.conversations.get('dm:1:2')?.unread_count).toBe(1);
  });

  it('typing and presence of the peer are tracked', async () => {
    const { a, b, sa, sb } = await pair();
    await rest(server.app, await hostToken({ sub: '1' })).post('/v1/friends/requests', { user_id: 2 });
    await rest(server.app, await hostToken({ sub: '2' })).post('/v1/friends/requests/1/accept');
    await a.send({ toUserId: 2 }, 'hi');
    await until(() => sb.conversations.has('dm:1:2'));
    a.typing('dm:1:2', 'start');
    await until(() => sb.typing('dm:1:2').includes('1'), 5000, 'typing');
    await a.setPresence('busy');
    await until(() => sb.presenceOf(1)?.status === 'busy', 5000, 'busy');
    expect(sa.presenceOf(2)?.status ?? 'online').toBe('online');
    void b;
  });

  it('a group renamed by its owner is renamed at once for every member (group.updated)', async () => {
    const { a, b, sb } = await pair();
    const created = await rest(server.app, await hostToken({ sub: '1' })).post('/v1/groups', {
      name: 'Before',
      member_ids: [2],
    });
    const groupId = (created.body as { group: { id: number } }).group.id;
    await a.send({ conversationId: `g:${groupId}` }, 'hello group');
    await until(() => sb.conversations.get(`g:${groupId}`)?.group?.name === 'Before', 5000, 'the group in the list');
    await rest(server.app, await hostToken({ sub: '1' })).patch(`/v1/groups/${groupId}`, { name: 'After' });
    await until(() => sb.conversations.get(`g:${groupId}`)?.group?.name === 'After', 5000, 'the new name');
    void b;
  });
});
