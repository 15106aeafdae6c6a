import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { restErrorCode, roundTrip, SocketPool, until } from './helpers/delivery-kit.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';

type Device = {
  device_id: string;
  name: string | null;
  type: string;
  platform: string | null;
  app_version: string | null;
  has_push_token: boolean;
  created_at: string;
  last_seen_at: string;
  revoked_at: string | null;
  current: boolean;
  online: boolean;
};

let server: TestServer;
const pool = new SocketPool(() => server);

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  pool.closeAll();
  await server.stop();
});

const PASSWORD = 'correct-horse-battery';

async function devicesOf(token: string): Promise<Map<string, Device>> {
  const res = await rest(server.app, token).get('/v1/devices');
  if (res.status !== 200) throw new Error(`devices: ${res.status} ${JSON.stringify(res.body)}`);
  return new Map((res.body as { devices: Device[] }).devices.map((d) => [d.device_id, d]));
}

/** Logs in with tokens bound to a device. */
async function loginOn(username: string, deviceId: string) {
  const res = await rest(server.app).post('/v1/auth/login', { username, password: PASSWORD, device_id: deviceId });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as { access_token: string; refresh_token: string };
  return { token: body.access_token, refreshToken: body.refresh_token };
}

describe('device registry', () => {
  it('V1: an auth frame carrying `device` registers it, and GET /v1/devices lists it with its details', async () => {
    const alice = await register(server.app, 'alice');
    const { hello } = await pool.connectDevice(alice.token, {
      id: 'phone-1',
      name: 'Alice’s phone',
      type: 'mobile',
      platform: 'ios 18',
      app_version: '1.4.2',
      push_token: 'apns-token-abc',
    });
    expect(hello).toMatchObject({ type: 'hello', device_id: 'phone-1' });
    expect((hello.user as { id: unknown }).id).toBe(alice.id);

    const devices = await devicesOf(alice.token);
    expect(devices.get('phone-1')).toMatchObject({
      device_id: 'phone-1',
      name: 'Alice’s phone',
      type: 'mobile',
      platform: 'ios 18',
      app_version: '1.4.2',
      has_push_token: true,
      revoked_at: null,
      current: false, // this REST token is not bound to a device
      online: true,
    });
    // the push token itself is never echoed back
    expect(JSON.stringify([...devices.values()])).not.toContain('apns-token-abc');
  });

  it('V1: ?device_id= on the upgrade URL registers the device too; `current` and `online` flags are per device', async () => {
    const alice = await register(server.app, 'alice'); // this token is bound to no device
    const laptop = await loginOn('alice', 'laptop-1');
    const tablet = await pool.connect((await loginOn('alice', 'tablet-1')).token); // token bound to tablet-1
    const viaQuery = await pool.connect(alice.token, 'device_id=web-7');
    expect(viaQuery.frames[0]).toMatchObject({ type: 'hello', device_id: 'web-7' });
    expect(tablet.frames[0]).toMatchObject({ type: 'hello', device_id: 'tablet-1' });

    // a token bound to a device wins over the query parameter
    const bound = await pool.connect(laptop.token, 'device_id=other-9');
    expect(bound.frames[0]).toMatchObject({ type: 'hello', device_id: 'laptop-1' });

    const seenFromLaptop = await devicesOf(laptop.token);
    expect([...seenFromLaptop.keys()].sort()).toEqual(['laptop-1', 'tablet-1', 'web-7']);
    expect(seenFromLaptop.get('web-7')).toMatchObject({ current: false, online: true });
    expect(seenFromLaptop.get('laptop-1')).toMatchObject({ current: true, online: true, type: 'other' });
    expect(seenFromLaptop.get('tablet-1')).toMatchObject({ current: false, online: true });

    tablet.close();
    await tablet.closed;
    await until(async () => (await devicesOf(laptop.token)).get('tablet-1')?.online === false, 'tablet offline');
    expect((await devicesOf(laptop.token)).get('tablet-1')?.revoked_at).toBeNull();
  });

  it('V1: PUT /v1/devices/:id updates a device’s details (fields left out stay as they were)', async () => {
    const alice = await register(server.app, 'alice');
    await pool.connectDevice(alice.token, { id: 'phone-1', name: 'Old', type: 'mobile', push_token: 'tok-1' });
    const api = rest(server.app, alice.token);
    const updated = await api.put('/v1/devices/phone-1', {
      name: 'New name',
      app_version: '2.0.0',
      platform: 'android',
    });
    expect(updated.status).toBe(200);
    expect((updated.body as { device: Device }).device).toMatchObject({
      device_id: 'phone-1',
      name: 'New name',
      type: 'mobile',
      platform: 'android',
      app_version: '2.0.0',
      has_push_token: true,
    });
    expect((await devicesOf(alice.token)).get('phone-1')).toMatchObject({ name: 'New name', app_version: '2.0.0' });

    const created = await api.put('/v1/devices/desk-2', { name: 'Desk', type: 'desktop' });
    expect(created.status).toBe(200);
    expect((await devicesOf(alice.token)).get('desk-2')).toMatchObject({
      name: 'Desk',
      type: 'desktop',
      online: false,
    });

    const bad = await api.put('/v1/devices/desk-2', { type: 'toaster' });
    expect(bad.status).toBe(400);
    expect(restErrorCode(bad.body)).toBe('VALIDATION_FAILED');
    const badId = await api.put('/v1/devices/bad%20id', { name: 'n' });
    expect(badId.status).toBe(400);
    expect(restErrorCode(badId.body)).toBe('VALIDATION_FAILED');
  });

  it('V1: the device returned by PUT /v1/devices/:id carries the same online flag as GET /v1/devices', async () => {
    const alice = await register(server.app, 'alice');
    await pool.connectDevice(alice.token, { id: 'phone-1', name: 'Phone' });
    expect((await devicesOf(alice.token)).get('phone-1')?.online).toBe(true);
    const put = await rest(server.app, alice.token).put('/v1/devices/phone-1', { name: 'Renamed phone' });
    expect(put.status).toBe(200);
    expect((put.body as { device: Device }).device).toMatchObject({ name: 'Renamed phone', online: true });
  });

  it('V1: a device id of the longest allowed length (128 characters) can be updated and revoked over REST', async () => {
    const alice = await register(server.app, 'alice');
    const longId = `d-${'x'.repeat(126)}`;
    const { socket, hello } = await pool.connectDevice(alice.token, { id: longId, name: 'Long' });
    expect(hello.device_id).toBe(longId);
    const api = rest(server.app, alice.token);
    const put = await api.put(`/v1/devices/${longId}`, { name: 'Renamed' });
    expect(put.status).toBe(200);
    const del = await api.delete(`/v1/devices/${longId}`);
    expect(del.status).toBe(204);
    expect((await socket.closed).code).toBe(3503);
  });
});

describe('revocation', () => {
  it('V1: DELETE /v1/devices/:id closes that device’s sockets with DEVICE_REVOKED / 3503; other devices stay connected', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const { socket: phone } = await pool.connectDevice(alice.token, { id: 'phone-1', push_token: 'tok' });
    const { socket: phone2 } = await pool.connectDevice(alice.token, { id: 'phone-1' }); // a second tab of it
    const { socket: laptop } = await pool.connectDevice(alice.token, { id: 'laptop-1' });
    const b = await pool.connect(bob.token);

    const res = await rest(server.app, alice.token).delete('/v1/devices/phone-1');
    expect(res.status).toBe(204);
    for (const s of [phone, phone2]) {
      const error = await s.next((f) => f.type === 'error');
      expect(error).toMatchObject({ code: 'DEVICE_REVOKED', retryable: false });
      expect((await s.closed).code).toBe(3503);
    }

    // the laptop is untouched and still receives messages
    await roundTrip(laptop);
    await b.call('msg.send', { to_user_id: alice.id, text: 'still there?' });
    expect((await laptop.next((f) => f.type === 'msg.new')).message).toMatchObject({ text: 'still there?' });
    expect(laptop.events('error')).toEqual([]);

    const listed = (await devicesOf(alice.token)).get('phone-1');
    expect(listed?.revoked_at).not.toBeNull();
    expect(listed).toMatchObject({ online: false, has_push_token: false });
    const again = await rest(server.app, alice.token).delete('/v1/devices/nope-0');
    expect(again.status).toBe(404);
  });

  it('V1: reconnecting with a revoked device id is refused with 3503 (auth frame and ?device_id=)', async () => {
    const alice = await register(server.app, 'alice');
    const { socket } = await pool.connectDevice(alice.token, { id: 'phone-1' });
    await rest(server.app, alice.token).delete('/v1/devices/phone-1');
    await socket.closed;

    const viaFrame = await pool.open();
    viaFrame.send({ type: 'auth', id: 'a1', token: alice.token, device: { id: 'phone-1' } });
    expect(await viaFrame.next((f) => f.type === 'error')).toMatchObject({ id: 'a1', code: 'DEVICE_REVOKED' });
    expect((await viaFrame.closed).code).toBe(3503);
    expect(viaFrame.events('hello')).toEqual([]);

    const viaQuery = await TestSocket.open(`${server.wsUrl}?device_id=phone-1`, { token: alice.token });
    expect(await viaQuery.next((f) => f.type === 'error')).toMatchObject({ code: 'DEVICE_REVOKED' });
    expect((await viaQuery.closed).code).toBe(3503);

    // PUT cannot bring it back
    const put = await rest(server.app, alice.token).put('/v1/devices/phone-1', { name: 'revived' });
    expect(put.status).toBe(403);
    expect(restErrorCode(put.body)).toBe('DEVICE_REVOKED');
    // a different device of the same user connects fine
    const { hello } = await pool.connectDevice(alice.token, { id: 'phone-2' });
    expect(hello.device_id).toBe('phone-2');
  });

  it('V1: tokens from a login with device_id are bound to it: after revocation REST gets 403 DEVICE_REVOKED and the refresh token is dead', async () => {
    await register(server.app, 'alice');
    const tablet = await loginOn('alice', 'tablet-9');
    const phone = await loginOn('alice', 'phone-3');
    expect((await rest(server.app, tablet.token).get('/v1/users/me')).status).toBe(200);
    const ws = await pool.connect(tablet.token); // registers tablet-9
    expect(ws.frames[0]).toMatchObject({ device_id: 'tablet-9' });

    expect((await rest(server.app, phone.token).delete('/v1/devices/tablet-9')).status).toBe(204);
    expect((await ws.closed).code).toBe(3503);

    const me = await rest(server.app, tablet.token).get('/v1/users/me');
    expect(me.status).toBe(403);
    expect(restErrorCode(me.body)).toBe('DEVICE_REVOKED');
    const refreshed = await rest(server.app).post('/v1/auth/refresh', { refresh_token: tablet.refreshToken });
    expect(refreshed.status).toBe(401);
    expect(restErrorCode(refreshed.body)).toBe('TOKEN_INVALID');
    // a fresh login on the revoked device is refused as well
    const relogin = await rest(server.app).post('/v1/auth/login', {
      username: 'alice',
      password: PASSWORD,
      device_id: 'tablet-9',
    });
    expect(relogin.status).toBe(403);
    expect(restErrorCode(relogin.body)).toBe('DEVICE_REVOKED');
    // the socket with the bound token is refused on the upgrade as well
    const retry = await TestSocket.open(server.wsUrl, { token: tablet.token });
    expect((await retry.closed).code).toBe(3503);

    // the other device's tokens still work, including its refresh token
    expect((await rest(server.app, phone.token).get('/v1/users/me')).status).toBe(200);
    expect((await rest(server.app).post('/v1/auth/refresh', { refresh_token: phone.refreshToken })).status).toBe(200);
  });
});

describe('several devices of one user', () => {
  it('D4: each device receives incoming messages and copies of the messages the user sent from another device', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const { socket: phone } = await pool.connectDevice(alice.token, { id: 'a-phone', type: 'mobile' });
    const { socket: laptop } = await pool.connectDevice(alice.token, { id: 'a-laptop', type: 'desktop' });
    const { socket: web } = await pool.connectDevice(alice.token, { id: 'a-web', type: 'web' });
    const { socket: b } = await pool.connectDevice(bob.token, { id: 'b-phone' });

    const incoming = await b.call<{ message: { id: string; conversation_id: string } }>('msg.send', {
      to_user_id: alice.id,
      text: 'hi alice',
    });
    for (const s of [phone, laptop, web]) {
      expect((await s.next((f) => f.type === 'msg.new')).message).toEqual(incoming.message);
    }

    const own = await phone.call<{ message: { id: string } }>('msg.send', {
      conversation_id: incoming.message.conversation_id,
      text: 'hi bob, from my phone',
    });
    for (const s of [laptop, web, b]) {
      expect(
        (await s.next((f) => f.type === 'msg.new' && (f.message as { id: string }).id === own.message.id)).message,
      ).toEqual(own.message);
    }
    await roundTrip(phone);
    // the sending device has its ack, not a second copy
    expect(phone.events('msg.new').map((f) => (f.message as { id: string }).id)).toEqual([incoming.message.id]);
    for (const s of [laptop, web]) expect(s.events('msg.new')).toHaveLength(2);
  });
});
