import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { hostUser } from '../helpers/users.js';
import { IoClient, type Payload } from './helpers/io-client.js';
import { until } from './helpers/seed-script.js';

/** Seed 002 prints timestamps without a zone ("2024-01-01T12:00:00", UTC here) and `time` as HH:MM. */
const NAIVE_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
const HH_MM = /^\d\d:\d\d$/;

type User = { id: string | number; token: string };

describe('seed 002 (customer service): Socket.IO register / send_message / receipts / offline messages', () => {
  let server: TestServer;
  let customer: User;
  let agent: User;
  const clients: IoClient[] = [];
  const SESSION = 'dm:1:2';

  beforeAll(async () => {
    server = await startServer();
    customer = await hostUser(server.app, '1', 'customer');
    agent = await hostUser(server.app, '2', 'agent');
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Connects as seed 002's Python client does (no token in the handshake) and registers. */
  async function registered(user: User, device: string, withAck = true) {
    const c = await IoClient.connect(`http://127.0.0.1:${server.port}`, { transports: ['websocket'] });
    clients.push(c);
    const registration = {
      user_id: Number(user.id),
      token: user.token,
      connection_id: `conn-${device}`,
      device_id: device,
      device_info: {
        device_name: 'iPhone 13',
        device_type: 'mobile',
        platform: 'iOS',
        browser: 'Safari',
        os_version: '15.0',
        app_version: '1.0.0',
      },
    };
    if (withAck) {
      const answer = await c.request('register', registration);
      return { c, answer };
    }
    c.socket.emit('register', registration);
    return { c, answer: await c.next('register_response') };
  }

  it('connect, register (the device is registered), heartbeat', async () => {
    const c = await IoClient.connect(`http://127.0.0.1:${server.port}`);
    clients.push(c);
    expect(await c.next('connect_response')).toEqual({ success: true, socket_id: c.socket.id });
    const answer = await c.request('register', {
      user_id: 1,
      token: customer.token,
      connection_id: 'uuid-1',
      device_id: 'device-uuid',
      device_info: { device_name: 'iPhone 13', device_type: 'mobile', platform: 'iOS', app_version: '1.0.0' },
    });
    expect(answer).toEqual({ success: true, connection_id: 'uuid-1', socket_id: c.socket.id, message: '连接注册成功' });
    const devices = (await rest(server.app, customer.token).get('/v1/devices')).body as { devices: Payload[] };
    expect(devices.devices.find((d) => d.device_id === 'device-uuid')).toMatchObject({
      name: 'iPhone 13',
      type: 'mobile',
      platform: 'iOS',
      app_version: '1.0.0',
      online: true,
    });
    expect(await c.request('heartbeat', { connection_id: 'uuid-1' })).toEqual({
      success: true,
      timestamp: expect.stringMatching(NAIVE_ISO),
    });
  });

  it('send_message -> new_message to both sides; delivered / read receipts -> message_status to the sender', async () => {
    const { c: cust } = await registered(customer, 'cust-1');
    const { c: ag } = await registered(agent, 'agent-1');
    const sent = await cust.request('send_message', {
      session_id: SESSION,
      from_user_id: 1,
      message: 'Hello',
      role: 'user',
      token: customer.token,
      message_type: 'text',
      reply_to_message_id: null,
    });
    expect(sent).toEqual({ success: true, message_id: expect.any(Number), time: expect.stringMatching(HH_MM) });
    const id = String(sent.message_id);
    const pushed = {
      id,
      session_id: SESSION,
      from: 'user',
      from_user_id: 1,
      to_user_id: 2,
      text: 'Hello',
      time: sent.time,
      avatar: null,
      message_type: 'text',
      reply_to_message_id: null,
      status: 'sent',
      offline: false,
      sequence_number: 1,
    };
    expect(await ag.next('new_message')).toEqual(pushed);
    expect(await cust.next('new_message')).toEqual(pushed); // the sender learns its own message too

    expect(await ag.request('message_delivered', { message_id: Number(id), user_id: 2 })).toEqual({ success: true });
    expect(await cust.next('message_status', (p) => p.status === 'delivered')).toEqual({
      message_id: id,
      status: 'delivered',
      timestamp: expect.stringMatching(NAIVE_ISO),
    });
    expect(await ag.request('message_read', { message_id: Number(id), user_id: 2 })).toEqual({ success: true });
    expect(await cust.next('message_status', (p) => p.status === 'read')).toEqual({
      message_id: id,
      status: 'read',
      timestamp: expect.stringMatching(NAIVE_ISO),
    });

    const reply = await ag.request('send_message', {
      session_id: SESSION,
      from_user_id: 2,
      message: 'How can I help?',
      role: 'agent',
      message_type: 'text',
      reply_to_message_id: Number(id),
    });
    expect(await cust.next('new_message', (p) => p.id === String(reply.message_id))).toMatchObject({
      from: 'agent',
      from_user_id: 2,
      to_user_id: 1,
      reply_to_message_id: Number(id),
    });
  });

  it('message_status goes only to the sender of the messages read, on each side', async () => {
    const cust3 = await hostUser(server.app, '3', 'customer3');
    const agent4 = await hostUser(server.app, '4', 'agent4');
    const session = 'dm:3:4';
    const { c: cust } = await registered(cust3, 'cust3-1');
    const { c: ag } = await registered(agent4, 'agent4-1');
    const say = async (c: IoClient, message: string, role: string) =>
      String((await c.request('send_message', { session_id: session, message, role })).message_id);
    const question = await say(cust, 'my order?', 'user');
    const answer = await say(ag, 'shipped', 'agent');
    const followUp = await say(cust, 'when?', 'user');
    await ag.next('new_message', (p) => p.id === followUp);

    // the agent reads everything: the customer hears of its own two messages, not of the agent's answer
    await ag.request('message_read', { message_id: Number(followUp), user_id: 4 });
    await cust.next('message_status', (p) => p.message_id === followUp);
    // the customer reads everything: the agent hears of its own two messages only
    const lastAnswer = await say(ag, 'tomorrow', 'agent');
    await cust.next('new_message', (p) => p.id === lastAnswer);
    await cust.request('message_read', { message_id: Number(lastAnswer), user_id: 3 });
    await ag.next('message_status', (p) => p.message_id === lastAnswer);
    // a round trip on each socket: any status already queued to it has arrived
    await ag.request('heartbeat', {});
    await cust.request('heartbeat', {});
    const statuses = (c: IoClient) => c.named('message_status').map((p) => [p.message_id, p.status]);
    expect(statuses(cust)).toEqual([
      [question, 'read'],
      [followUp, 'read'],
    ]);
    expect(statuses(ag)).toEqual([
      [answer, 'read'],
      [lastAnswer, 'read'],
    ]);
  });

  it('send_message with client_msg_id: a resend is stored once and answered with the original; without it, as before', async () => {
    const { c: cust } = await registered(customer, 'cust-5');
    const { c: ag } = await registered(agent, 'agent-5');
    const send = { session_id: SESSION, from_user_id: 1, message: 'retry me', role: 'user', client_msg_id: 'q-1' };
    const first = await cust.request('send_message', send);
    expect(first).toEqual({ success: true, message_id: expect.any(Number), time: expect.stringMatching(HH_MM) });
    expect(await cust.request('send_message', send)).toEqual(first); // the retry queue resends it
    const { c: phone } = await registered(customer, 'cust-5b');
    expect(await phone.request('send_message', send)).toEqual(first); // and from another connection

    const plain = { session_id: SESSION, message: 'no key', role: 'user' };
    const p1 = await cust.request('send_message', plain);
    const p2 = await cust.request('send_message', plain);
    expect(p2.message_id).not.toBe(p1.message_id); // without a key each send is a message, as before
    await ag.next('new_message', (p) => p.id === String(p2.message_id));
    const pushed = ag.named('new_message').map((p) => p.text);
    expect(pushed.filter((t) => t === 'retry me')).toHaveLength(1);
    expect(pushed.filter((t) => t === 'no key')).toHaveLength(2);
    const history = (await rest(server.app, customer.token).get(`/v1/conversations/${SESSION}/messages`)).body as {
      messages: { id: string; text: string }[];
    };
    expect(history.messages.filter((m) => m.text === 'retry me').map((m) => m.id)).toEqual([String(first.message_id)]);
    expect(await cust.request('send_message', { ...send, client_msg_id: 'not a key!' })).toMatchObject({
      success: false,
      code: 'VALIDATION_FAILED',
    });
  });

  it('offline messages are pushed on register, in order, marked offline; delivered ones are not repeated', async () => {
    const { c: cust } = await registered(customer, 'cust-2');
    const { c: ag } = await registered(agent, 'agent-2');
    const m1 = await cust.request('send_message', { session_id: SESSION, message: 'seen', role: 'user' });
    await ag.next('new_message', (p) => p.id === String(m1.message_id));
    await ag.request('message_delivered', { message_id: m1.message_id });
    ag.close();
    const texts = ['while away 1', 'while away 2', 'while away 3'];
    for (const text of texts) await cust.request('send_message', { session_id: SESSION, message: text, role: 'user' });

    // the Python client only emits: it gets register_response, then its offline messages
    const { c: back, answer } = await registered(agent, 'agent-2', false);
    expect(answer).toMatchObject({ success: true, message: '连接注册成功' });
    await until(() => back.named('new_message').length >= texts.length, 'offline messages');
    const offline = back.named('new_message');
    expect(offline.map((m) => m.text)).toEqual(texts);
    expect(offline.every((m) => m.offline === true && m.session_id === SESSION && m.from_user_id === 1)).toBe(true);
    const ids = offline.map((m) => Number(m.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const seqs = offline.map((m) => m.sequence_number as number);
    expect(seqs).toEqual([seqs[0], (seqs[0] as number) + 1, (seqs[0] as number) + 2]);

    // once confirmed, they are not pushed again on the next register
    for (const m of offline) await back.request('message_delivered', { message_id: Number(m.id), user_id: 2 });
    back.close();
    const { c: again } = await registered(agent, 'agent-2');
    const probe = await again.request('heartbeat', {});
    expect(probe.success).toBe(true);
    expect(again.named('new_message')).toEqual([]);
  });

  it('a group conversation as session_id', async () => {
    const g = await rest(server.app, agent.token).post('/v1/groups', { name: 'support', member_ids: [1] });
    const session = `g:${(g.body as { group: { id: number } }).group.id}`;
    const { c: cust } = await registered(customer, 'cust-3');
    const { c: ag } = await registered(agent, 'agent-3');
    await ag.request('send_message', { session_id: session, message: 'hi all', role: 'agent' });
    expect(await cust.next('new_message')).toMatchObject({
      session_id: session,
      from: 'agent',
      to_user_id: null,
      text: 'hi all',
    });
  });

  it('refusals: {success:false, code, message}; a bad token ends the connection', async () => {
    const c = await IoClient.connect(`http://127.0.0.1:${server.port}`, { transports: ['websocket'] });
    clients.push(c);
    expect(await c.request('send_message', { session_id: SESSION, message: 'x' })).toEqual({
      success: false,
      code: 'AUTH_REQUIRED',
      message: expect.any(String),
    });
    expect(await c.request('register', { user_id: 2, token: customer.token })).toMatchObject({
      success: false,
      code: 'FORBIDDEN',
    });
    const { c: ok } = await registered(customer, 'cust-4');
    expect(await ok.request('send_message', { session_id: 'session-uuid', message: 'x' })).toMatchObject({
      success: false,
      code: 'VALIDATION_FAILED',
    });
    expect(await ok.request('message_delivered', { message_id: 987654 })).toMatchObject({
      success: false,
      code: 'NOT_FOUND',
    });
    expect(await ok.request('fly', {})).toMatchObject({ success: false, code: 'UNKNOWN_TYPE' });

    const forged = await IoClient.connect(`http://127.0.0.1:${server.port}`, { transports: ['websocket'] });
    clients.push(forged);
    const disconnected = new Promise((resolve) => forged.socket.once('disconnect', resolve));
    expect(await forged.request('register', { user_id: 1, token: 'forged' })).toMatchObject({
      success: false,
      code: 'TOKEN_INVALID',
    });
    await disconnected;
  });
});
