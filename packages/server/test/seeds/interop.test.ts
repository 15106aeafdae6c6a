import type { ServerEvent, WireMessage } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
// The SDK's client class itself (its package index also exports a browser-only IndexedDB store).
import { ParleyClient, type ParleyClientOptions } from '../../../client/src/client.js';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';
import { hostUser } from '../helpers/users.js';
import { IoClient, type Payload } from './helpers/io-client.js';
import { type Frame, runSeedScript, ScriptEnv, until } from './helpers/seed-script.js';

type User = { id: string | number; token: string };

/**
 * One conversation, six protocols: alice on seed 000's MessageClient, bob on Socket.IO (seed 002), carol on the
 * canonical SDK, dave on seed 003's WebSocket, erin on seed 004's client, frank on Socket.IO (seed 001, direct
 * messages only). Everyone sees everyone's messages, the receipts that concern them, and presence.
 */
describe('interop: one message crosses every dialect', () => {
  let server: TestServer;
  const u: Record<'alice' | 'bob' | 'carol' | 'dave' | 'erin' | 'frank', User> = {} as never;
  let group: string;
  let groupId: number;
  const pages: ScriptEnv[] = [];
  const io: IoClient[] = [];
  let carol: ParleyClient;
  const carolMessages: WireMessage[] = [];
  const carolEvents: ServerEvent[] = [];
  let dave: TestSocket;
  let alice: {
    received: Frame[];
    client: { sendPrivateMessage(to: number, c: string): void; sendGroupMessage(g: number, c: string): void };
  };
  let bob: IoClient;
  let frank: IoClient;
  let erin: { env: ScriptEnv; ws: { received: Frame[] }; sendMessage(g: string, c: string): void };

  beforeAll(async () => {
    server = await startServer();
    const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
    for (const [i, name] of names.entries()) u[name] = await hostUser(server.app, String(i + 1), name);
    const created = await rest(server.app, u.carol.token).post('/v1/groups', {
      name: 'everyone',
      visibility: 'public',
      member_ids: [1, 2, 4, 5, 6],
    });
    groupId = (created.body as { group: { id: number } }).group.id;
    group = `g:${groupId}`;
  });
  afterAll(async () => {
    carol?.disconnect();
    dave?.close();
    for (const c of io) c.close();
    for (const p of pages) p.dispose();
    await server.stop();
  });

  it('everyone connects; presence reaches every protocol that has it', async () => {
    carol = new ParleyClient({
      url: `ws://127.0.0.1:${server.port}/v1/ws`,
      token: u.carol.token,
      WebSocket: WebSocket as unknown as ParleyClientOptions['WebSocket'],
    });
    carol.on('message', (m) => carolMessages.push(m));
    carol.on('event', (e) => carolEvents.push(e));
    carol.connect();
    await until(() => carol.state === 'connected', 'carol (SDK) connected');

    dave = await TestSocket.open(`ws://127.0.0.1:${server.port}/api/v1/ws`, { token: u.dave.token });
    await dave.next((f) => f.type === 'connected');

    bob = await IoClient.connect(`http://127.0.0.1:${server.port}`, { transports: ['websocket'] });
    io.push(bob);
    expect(await bob.request('register', { user_id: 2, token: u.bob.token, device_id: 'bob-pc' })).toMatchObject({
      success: true,
    });

    frank = await IoClient.connect(`http://127.0.0.1:${server.port}`, { auth: { token: u.frank.token } });
    io.push(frank);
    await frank.next('online_users');

    const alicePage = new ScriptEnv();
    pages.push(alicePage);
    const { MessageClient } = runSeedScript<{ MessageClient: new (url: string, token: string) => never }>(
      'seed000-message-client.js.txt',
      { globals: alicePage.globals(), exports: ['MessageClient'] },
    );
    const client = new MessageClient(`ws://127.0.0.1:${server.port}/ws`, u.alice.token) as unknown as {
      authenticated: boolean;
      connect(): void;
      onMessage(h: (m: Frame) => void): void;
      sendPrivateMessage(to: number, c: string): void;
      sendGroupMessage(g: number, c: string): void;
    };
    const received: Frame[] = [];
    client.onMessage((m) => received.push(m));
    client.connect();
    alice = { received, client };
    await until(() => client.authenticated, 'alice (seed 000) authenticated');

    const erinPage = new ScriptEnv();
    pages.push(erinPage);
    const script = runSeedScript<{ ws: { received: Frame[] }; sendMessage(g: string, c: string): void }>(
      'seed004-client.js.txt',
      {
        globals: erinPage.globals(),
        exports: ['ws', 'sendMessage'],
        fill: { 'ws://localhost:8889/ws': `ws://127.0.0.1:${server.port}/ws`, your_jwt_token_here: u.erin.token },
      },
    );
    erin = { env: erinPage, ...script };
    await until(() => erinPage.logged('Authenticated as user:').length === 1, 'erin (seed 004) authenticated');

    // canonical: a presence event per user who came online after carol
    const onlineSeenByCarol = () =>
      new Set(
        carolEvents
          .filter((e) => e.type === 'presence' && e.status === 'online')
          .map((e) => (e as { user_id: unknown }).user_id),
      );
    await until(() => [1, 2, 4, 5, 6].every((id) => onlineSeenByCarol().has(id)), 'carol sees everyone online');
    // seed 003: user_status for those who came after dave
    const onlineSeenByDave = () => new Set(dave.events('user_status').map((f) => (f.data as Frame).user_id));
    await until(() => [1, 2, 5, 6].every((id) => onlineSeenByDave().has(id)), 'dave sees them online');
    // seed 001: user_online for those who came after frank
    await until(() => [1, 5].every((id) => frank.named('user_online').some((p) => p.userId === id)), 'frank sees them');
    // seed 000: the REST presence API
    const online = await rest(server.app, u.alice.token).get('/messages/online?user_ids=2,3,4,5,6');
    expect(online.body).toEqual({
      success: true,
      result: { online_users: { '2': true, '3': true, '4': true, '5': true, '6': true } },
    });
  });

  /** Waits until every group member on a protocol with groups saw `text`, except its sender. */
  async function everyoneSaw(text: string, sender: 'alice' | 'bob' | 'carol' | 'erin') {
    const seen = {
      alice: () => alice.received.some((m) => m.content === text && m.group_id === groupId),
      bob: () => bob.named('new_message').some((m) => m.text === text && m.session_id === group),
      carol: () => carolMessages.some((m) => m.text === text && m.conversation_id === group),
      dave: () => dave.events('chat').some((f) => (f.data as Frame).message === text),
      erin: () => erin.env.logged('New message:').some(([, d]) => (d as Frame).content === text),
    };
    for (const [who, saw] of Object.entries(seen)) {
      if (who !== sender) await until(saw, `${who} saw "${text}" from ${sender}`);
    }
  }

  it('a group message from each protocol reaches all the others', async () => {
    alice.client.sendGroupMessage(groupId, 'from seed 000');
    await everyoneSaw('from seed 000', 'alice');
    expect(
      await bob.request('send_message', { session_id: group, message: 'from seed 002', role: 'agent' }),
    ).toMatchObject({
      success: true,
    });
    await everyoneSaw('from seed 002', 'bob');
    await carol.send({ conversationId: group }, 'from the canonical SDK');
    await everyoneSaw('from the canonical SDK', 'carol');
    erin.sendMessage(String(groupId), 'from seed 004');
    await everyoneSaw('from seed 004', 'erin');
    // the same message, as each protocol renders it
    const id = carolMessages.find((m) => m.text === 'from seed 004')?.id as string;
    expect(alice.received.find((m) => m.content === 'from seed 004')).toMatchObject({
      id: Number(id),
      sender_id: 5,
      sender_username: 'erin',
    });
    expect(bob.named('new_message').find((m) => m.text === 'from seed 004')).toMatchObject({
      id,
      from_user_id: 5,
      from: 'user',
    });
    expect(dave.events('chat').find((f) => (f.data as Frame).message === 'from seed 004')?.data).toMatchObject({
      message_id: Number(id),
      from_user_id: 5,
      from_username: 'erin',
      group_id: groupId,
    });
  });

  it('direct messages across seed 000, seed 001, seed 003 and the SDK', async () => {
    const sent = await frank.request('send_message', { toUserId: 1, content: 'frank -> alice' });
    expect(sent.success).toBe(true);
    await until(() => alice.received.some((m) => m.content === 'frank -> alice'), 'alice got frank');
    expect(alice.received.find((m) => m.content === 'frank -> alice')).toMatchObject({ sender_id: 6, receiver_id: 1 });
    alice.client.sendPrivateMessage(6, 'alice -> frank');
    expect(await frank.next('new_message', (m) => m.content === 'alice -> frank')).toMatchObject({
      fromUserId: 1,
      toUserId: 6,
    });
    dave.send({ type: 'message', to_user_id: 3, message: 'dave -> carol' });
    await until(() => carolMessages.some((m) => m.text === 'dave -> carol' && m.sender_id === 4), 'carol got dave');
    await carol.send({ toUserId: 4 }, 'carol -> dave');
    await until(() => dave.events('chat').some((f) => (f.data as Frame).message === 'carol -> dave'), 'dave got carol');
  });

  it('receipts cross protocols: SDK <-> seed 002 (message_status), SDK <-> seed 001 (messages_read)', async () => {
    // carol's SDK confirms delivery by itself (delivered), then reads (read): bob sees both for his message
    const probe = await bob.request('send_message', { session_id: group, message: 'status probe', role: 'agent' });
    const probeId = String(probe.message_id);
    await until(() => carolMessages.some((m) => m.id === probeId), 'carol got the probe');
    const fromBob = carolMessages.find((m) => m.id === probeId) as WireMessage;
    expect(await bob.next('message_status', (p) => p.message_id === probeId && p.status === 'delivered')).toEqual({
      message_id: probeId,
      status: 'delivered',
      timestamp: expect.any(String),
    });
    await carol.markRead(group, fromBob.seq);
    expect(await bob.next('message_status', (p) => p.message_id === probeId && p.status === 'read')).toEqual({
      message_id: probeId,
      status: 'read',
      timestamp: expect.any(String),
    });
    // bob reads carol's next message: carol's SDK gets a receipt
    await carol.send({ conversationId: group }, 'for bob to read');
    const forBob = await bob.next('new_message', (m) => m.text === 'for bob to read');
    expect(await bob.request('message_read', { message_id: Number(forBob.id), user_id: 2 })).toEqual({ success: true });
    const page = (await rest(server.app, u.carol.token).get(`/v1/conversations/${group}/messages?limit=5`)).body as {
      messages: WireMessage[];
    };
    const fromCarol = page.messages.find((m) => m.id === forBob.id) as WireMessage;
    await until(
      () => carolEvents.some((e) => e.type === 'receipt' && e.user_id === 2 && (e.read_seq ?? 0) >= fromCarol.seq),
      'carol sees bob read',
    );

    // seed 001 <-> SDK in a direct conversation
    await carol.send({ toUserId: 6 }, 'carol -> frank');
    await frank.next('new_message', (m) => m.content === 'carol -> frank');
    expect(await frank.request('mark_read', { fromUserId: 3 })).toMatchObject({ success: true, unreadCount: 0 });
    await until(
      () =>
        carolEvents.some(
          (e) => e.type === 'receipt' && e.conversation_id === 'dm:3:6' && e.user_id === 6 && (e.read_seq ?? 0) >= 1,
        ),
      'carol sees frank read',
    );
    await frank.request('send_message', { toUserId: 3, content: 'frank -> carol' });
    const reply = await (async () => {
      await until(() => carolMessages.some((m) => m.text === 'frank -> carol'), 'carol got frank');
      return carolMessages.find((m) => m.text === 'frank -> carol') as WireMessage;
    })();
    await carol.markRead(reply.conversation_id, reply.seq);
    expect(await frank.next('messages_read', (p: Payload) => p.readerId === 3)).toEqual({
      readerId: 3,
      conversationId: 'dm:3:6',
      readSeq: reply.seq,
    });
  });

  it('going offline is seen by every protocol that has presence', async () => {
    erin.env.dispose();
    await until(
      () => carolEvents.some((e) => e.type === 'presence' && e.user_id === 5 && e.status === 'offline'),
      'carol sees erin offline',
    );
    await until(
      () =>
        dave
          .events('user_status')
          .some((f) => (f.data as Frame).user_id === 5 && (f.data as Frame).status === 'offline'),
      'dave sees erin offline',
    );
    expect(await frank.next('user_offline', (p) => p.userId === 5)).toMatchObject({ userId: 5 });
    expect(await bob.request('heartbeat', {})).toMatchObject({ success: true });
    const online = await rest(server.app, u.alice.token).get('/messages/online?user_ids=5');
    expect(online.body).toEqual({ success: true, result: { online_users: { '5': false } } });
  });
});
