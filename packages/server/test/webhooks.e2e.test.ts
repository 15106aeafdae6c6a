import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeGroup, registerUsers, SocketPool } from './helpers/delivery-kit.js';
import { register } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { WebhookReceiver, type WebhookRequest } from './helpers/webhook-receiver.js';

const SECRET = 'webhook-secret-0123456789';

let receiver: WebhookReceiver;
let server: TestServer;
const pool = new SocketPool(() => server);

beforeEach(async () => {
  receiver = await WebhookReceiver.start();
  server = await startServer({
    PARLEY_WEBHOOK_URL: receiver.url,
    PARLEY_WEBHOOK_SECRET: SECRET,
    PARLEY_WEBHOOK_RETRY_BASE_MS: '50',
    PARLEY_PRESENCE_GRACE_MS: '100',
  });
});
afterEach(async () => {
  pool.closeAll();
  await server.stop();
  await receiver.stop();
});

type Message = { id: string; conversation_id: string; seq: number; text: string; sender_id: unknown };

const isEvent =
  (type: string, match: (data: Record<string, unknown>) => boolean = () => true) =>
  (r: WebhookRequest) =>
    r.body.type === type && match(r.body.data);
const aboutUser = (userId: unknown) => (d: Record<string, unknown>) => d.user_id === userId;
const aboutText = (text: string) => (d: Record<string, unknown>) => (d.message as Message).text === text;

/** Checks the signature the way a receiver must: HMAC-SHA256(secret, `${t}.${raw body}`), hex, in constant time. */
function verifySignature(r: WebhookRequest, secret = SECRET): { t: number } {
  const header = r.headers['x-parley-signature'];
  expect(typeof header).toBe('string');
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header as string);
  expect(m, `signature header "${header}"`).not.toBeNull();
  const [, t, v1] = m as RegExpExecArray;
  const expected = createHmac('sha256', secret).update(`${t}.${r.raw}`).digest();
  const given = Buffer.from(v1 as string, 'hex');
  expect(given.length).toBe(expected.length);
  expect(timingSafeEqual(given, expected)).toBe(true);
  return { t: Number(t) };
}

describe('webhooks to the host application', () => {
  it('W1: a message to a user with no connected device produces message.created listing them in offline_user_ids', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await pool.connect(alice.token);
    const ack = await a.call<{ message: Message }>('msg.send', { to_user_id: bob.id, text: 'are you there?' });

    const hook = await receiver.next(isEvent('message.created'));
    expect(hook.body.data).toEqual({ message: ack.message, offline_user_ids: [bob.id] });
    expect(hook.method).toBe('POST');
    expect(hook.url).toBe('/hooks/parley');
    expect(hook.headers['content-type']).toContain('application/json');
  });

  it('W1: no message.created webhook when every recipient is connected; in a group only the offline members are listed', async () => {
    const [alice, bob, carol, dave] = await registerUsers(server.app, ['alice', 'bob', 'carol', 'dave']);
    const a = await pool.connect(alice.token);
    const b = await pool.connect(bob.token);
    await a.call('msg.send', { to_user_id: bob.id, text: 'everyone is online' });
    await b.next((f) => f.type === 'msg.new');

    const group = await makeGroup(server.app, alice, [bob, carol, dave], 'Mixed');
    const ack = await a.call<{ message: Message }>('msg.send', { conversation_id: group, text: 'some are away' });
    const hook = await receiver.next(isEvent('message.created', aboutText('some are away')));
    expect(hook.body.data.message).toEqual(ack.message);
    expect(new Set(hook.body.data.offline_user_ids as unknown[])).toEqual(new Set([carol.id, dave.id]));
    // the earlier message, sent and enqueued before this one, produced no webhook
    expect(receiver.ofType('message.created').map((r) => (r.body.data.message as Message).text)).toEqual([
      'some are away',
    ]);
  });

  it('W1: user.online on connect; user.offline only after the presence grace, and not for a quick reconnect', async () => {
    const alice = await register(server.app, 'alice');
    const carol = await register(server.app, 'carol');
    const a1 = await pool.connect(alice.token);
    const online = await receiver.next(isEvent('user.online', aboutUser(alice.id)));
    expect(Date.parse(online.body.data.at as string)).not.toBeNaN();

    // a quick reconnect: no offline, no second online
    a1.close();
    await a1.closed;
    const a2 = await pool.connect(alice.token);
    const c = await pool.connect(carol.token);
    await receiver.next(isEvent('user.online', aboutUser(carol.id)));
    c.close();
    await receiver.next(isEvent('user.offline', aboutUser(carol.id))); // carol's grace ended after alice's would have
    expect(receiver.ofType('user.offline').filter((r) => r.body.data.user_id === alice.id)).toEqual([]);
    expect(receiver.ofType('user.online').filter((r) => r.body.data.user_id === alice.id)).toHaveLength(1);

    // a real disconnect: offline once the grace has passed
    const t0 = Date.now();
    a2.close();
    const offline = await receiver.next(isEvent('user.offline', aboutUser(alice.id)));
    expect(offline.at - t0).toBeGreaterThanOrEqual(90);
    expect(Date.parse(offline.body.data.at as string)).toBeGreaterThanOrEqual(t0 - 5);
    expect(receiver.ofType('user.offline').filter((r) => r.body.data.user_id === alice.id)).toHaveLength(1);
  });

  it('W1: every request is signed (x-parley-signature t=<ts>,v1=HMAC-SHA256(secret, "t.body")) and names its event and delivery', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await pool.connect(alice.token);
    await a.call('msg.send', { to_user_id: bob.id, text: 'signed' });
    a.close();
    await receiver.next(isEvent('user.offline', aboutUser(alice.id)));
    await receiver.next(isEvent('message.created'));

    expect(receiver.requests.length).toBeGreaterThanOrEqual(3);
    const now = Math.floor(Date.now() / 1000);
    for (const r of receiver.requests) {
      const { t } = verifySignature(r);
      expect(Math.abs(now - t)).toBeLessThanOrEqual(60);
      expect(r.headers['x-parley-event']).toBe(r.body.type);
      expect(r.headers['x-parley-delivery']).toBe(r.body.id);
      expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(r.body.created_at)).not.toBeNaN();
      // a forged body or another secret does not verify
      const forged = createHmac('sha256', SECRET)
        .update(`${t}.${r.raw.replace('"type"', '"Type"')}`)
        .digest('hex');
      expect((r.headers['x-parley-signature'] as string).endsWith(forged)).toBe(false);
      const other = createHmac('sha256', 'another-secret-0123456').update(`${t}.${r.raw}`).digest('hex');
      expect((r.headers['x-parley-signature'] as string).endsWith(other)).toBe(false);
    }
    expect(new Set(receiver.requests.map((r) => r.body.id)).size).toBe(receiver.requests.length);
  });

  it('W1: a receiver answering 500 twice then 200 gets the same delivery three times, with growing backoff', async () => {
    receiver.respond = (r, attempt) =>
      r.body.type === 'message.created' && (r.body.data.message as Message).text === 'retry me' && attempt <= 2
        ? 500
        : 200;
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const a = await pool.connect(alice.token);
    await a.call('msg.send', { to_user_id: bob.id, text: 'retry me' });

    const first = await receiver.next(isEvent('message.created'));
    const id = first.body.id;
    await receiver.next((r) => r.body.id === id && receiver.requests.filter((x) => x.body.id === id).length === 3);
    const attempts = receiver.requests.filter((r) => r.body.id === id);
    expect(attempts).toHaveLength(3);
    for (const r of attempts) {
      expect(r.raw).toBe(first.raw); // the same event, byte for byte
      expect(r.headers['x-parley-delivery']).toBe(id);
      verifySignature(r);
    }
    const [a1, a2, a3] = attempts.map((r) => r.at) as [number, number, number];
    // base 50 ms, doubling, with jitter in [0.5, 1): >= 25 ms, then >= 50 ms
    expect(a2 - a1).toBeGreaterThanOrEqual(20);
    expect(a3 - a2).toBeGreaterThanOrEqual(45);

    // once accepted it is not sent again: a later event arrives and the count stays at three
    await a.call('msg.send', { to_user_id: bob.id, text: 'after the retries' });
    const later = await receiver.next(isEvent('message.created', aboutText('after the retries')));
    expect(later.body.id).not.toBe(id);
    await new Promise((r) => setTimeout(r, 250)); // longer than the next backoff step would have been
    expect(receiver.requests.filter((r) => r.body.id === id)).toHaveLength(3);
  });
});
