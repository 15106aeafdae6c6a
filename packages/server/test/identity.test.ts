import { CLOSE_CODES } from '@parley/protocol';
import { decodeJwt, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostToken } from './helpers/host-token.js';
import { type JwksServer, signRs256, startJwksServer } from './helpers/jwks-server.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';
import { errorOf } from './helpers/users.js';

type Session = {
  user: Record<string, unknown> & { id: string };
  access_token: string;
  access_token_expires_at: string;
  refresh_token: string;
};
type Profile = { id: string | number; username: string | null; display_name: string; avatar_url: string | null };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PASSWORD = 'correct-horse-battery';

let server: TestServer;
const sockets: TestSocket[] = [];
const connect = async (token: string, target: TestServer = server) => {
  const s = await TestSocket.connect(target.wsUrl, token);
  sockets.push(s);
  return s;
};
const helloUser = (s: TestSocket) => (s.frames.find((f) => f.type === 'hello') as unknown as { user: Profile }).user;
const me = async (token: string, target: TestServer = server) => rest(target.app, token).get('/v1/users/me');

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server.stop();
});

describe('standalone accounts', () => {
  it('register answers 201 with the public profile, a JWT access token and a refresh token', async () => {
    const res = await rest(server.app).post('/v1/auth/register', {
      username: 'alice',
      password: PASSWORD,
      display_name: 'Alice Liddell',
    });
    expect(res.status).toBe(201);
    const body = res.body as Session;
    expect(Object.keys(body.user).sort()).toEqual(['avatar_url', 'created_at', 'display_name', 'id', 'username']);
    expect(body.user).toMatchObject({ username: 'alice', display_name: 'Alice Liddell', avatar_url: null });
    expect(typeof body.user.id).toBe('string');
    expect(body.user.created_at).toMatch(ISO);

    expect(body.access_token.split('.')).toHaveLength(3);
    const claims = decodeJwt(body.access_token);
    expect(claims.sub).toBe(body.user.id);
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    expect(body.access_token_expires_at).toMatch(ISO);
    expect(typeof body.refresh_token).toBe('string');
    expect(body.refresh_token.length).toBeGreaterThanOrEqual(32);
    expect(body.refresh_token).not.toBe(body.access_token);

    // without display_name, the username is the display name
    const bob = await rest(server.app).post('/v1/auth/register', { username: 'bob', password: PASSWORD });
    expect((bob.body as Session).user).toMatchObject({ username: 'bob', display_name: 'bob' });
  });

  it('a taken username is refused with 409 CONFLICT, whatever its case', async () => {
    await register(server.app, 'alice');
    const again = await rest(server.app).post('/v1/auth/register', { username: 'Alice', password: PASSWORD });
    expect(again.status).toBe(409);
    expect(errorOf(again.body).code).toBe('CONFLICT');
  });

  it('registration refuses a bad username or a short password with 400 VALIDATION_FAILED', async () => {
    const badName = await rest(server.app).post('/v1/auth/register', { username: 'a b', password: PASSWORD });
    expect(badName.status).toBe(400);
    expect(errorOf(badName.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'username' });
    const shortPw = await rest(server.app).post('/v1/auth/register', { username: 'carol', password: 'short' });
    expect(shortPw.status).toBe(400);
    expect(errorOf(shortPw.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'password' });
  });

  it('login with the right password returns a session for the same user', async () => {
    const alice = await register(server.app, 'alice');
    const res = await rest(server.app).post('/v1/auth/login', { username: 'alice', password: PASSWORD });
    expect(res.status).toBe(200);
    const body = res.body as Session;
    expect(body.user.id).toBe(alice.id);
    expect(decodeJwt(body.access_token).sub).toBe(alice.id);
    expect(body.refresh_token).not.toBe(alice.refreshToken);
    expect((await me(body.access_token)).status).toBe(200);
  });

  it('login with a wrong password is 401 BAD_CREDENTIALS', async () => {
    await register(server.app, 'alice');
    const res = await rest(server.app).post('/v1/auth/login', { username: 'alice', password: 'wrong-password-1' });
    expect(res.status).toBe(401);
    expect(errorOf(res.body)).toMatchObject({ code: 'BAD_CREDENTIALS', retryable: false });
  });

  it('login as an unknown user is 401 BAD_CREDENTIALS, indistinguishable from a wrong password', async () => {
    await register(server.app, 'alice');
    const unknown = await rest(server.app).post('/v1/auth/login', { username: 'nobody', password: PASSWORD });
    const wrong = await rest(server.app).post('/v1/auth/login', { username: 'alice', password: 'wrong-password-1' });
    expect(unknown.status).toBe(401);
    expect(errorOf(unknown.body).code).toBe('BAD_CREDENTIALS');
    expect(unknown.body).toEqual(wrong.body);
  });

  it('refresh rotates the tokens, and a refresh token is single-use (second use 401 TOKEN_INVALID)', async () => {
    const alice = await register(server.app, 'alice');
    const first = await rest(server.app).post('/v1/auth/refresh', { refresh_token: alice.refreshToken });
    expect(first.status).toBe(200);
    const rotated = first.body as Session;
    expect(rotated.user.id).toBe(alice.id);
    expect(rotated.refresh_token).not.toBe(alice.refreshToken);
    expect(decodeJwt(rotated.access_token).sub).toBe(alice.id);
    expect((await me(rotated.access_token)).status).toBe(200);

    // the rotated one works, once
    const second = await rest(server.app).post('/v1/auth/refresh', { refresh_token: rotated.refresh_token });
    expect(second.status).toBe(200);
    const again = await rest(server.app).post('/v1/auth/refresh', { refresh_token: rotated.refresh_token });
    expect(again.status).toBe(401);
    expect(errorOf(again.body).code).toBe('TOKEN_INVALID');
    // a reused token revokes its whole family (issue 16.9): the newest token of that sign-in is dead too
    const newest = (second.body as Session).refresh_token;
    expect((await rest(server.app).post('/v1/auth/refresh', { refresh_token: newest })).status).toBe(401);
    const reuse = await rest(server.app).post('/v1/auth/refresh', { refresh_token: alice.refreshToken });
    expect(reuse.status).toBe(401);
    expect(errorOf(reuse.body).code).toBe('TOKEN_INVALID');
  });

  it('an unknown refresh token is 401 TOKEN_INVALID', async () => {
    const res = await rest(server.app).post('/v1/auth/refresh', { refresh_token: 'not-a-refresh-token' });
    expect(res.status).toBe(401);
    expect(errorOf(res.body).code).toBe('TOKEN_INVALID');
  });

  it('logout (204) revokes the refresh token; other sessions keep theirs', async () => {
    const alice = await register(server.app, 'alice');
    const other = (await rest(server.app).post('/v1/auth/login', { username: 'alice', password: PASSWORD }))
      .body as Session;
    const out = await rest(server.app).post('/v1/auth/logout', { refresh_token: alice.refreshToken });
    expect(out.status).toBe(204);
    const revoked = await rest(server.app).post('/v1/auth/refresh', { refresh_token: alice.refreshToken });
    expect(revoked.status).toBe(401);
    expect(errorOf(revoked.body).code).toBe('TOKEN_INVALID');
    const kept = await rest(server.app).post('/v1/auth/refresh', { refresh_token: other.refresh_token });
    expect(kept.status).toBe(200);
  });

  it('with PARLEY_REGISTRATION=closed self-registration is 403 REGISTRATION_CLOSED; host tokens still work', async () => {
    const closed = await startServer({ PARLEY_REGISTRATION: 'closed' });
    try {
      const res = await rest(closed.app).post('/v1/auth/register', { username: 'alice', password: PASSWORD });
      expect(res.status).toBe(403);
      expect(errorOf(res.body)).toMatchObject({ code: 'REGISTRATION_CLOSED', retryable: false });
      const host = await me(await hostToken({ sub: 'host-1', username: 'hosted' }), closed);
      expect(host.status).toBe(200);
    } finally {
      await closed.stop();
    }
  });

  it('GET /v1/users/me returns the caller’s profile; no token is 401 AUTH_REQUIRED, a forged one 401 TOKEN_INVALID', async () => {
    const alice = await register(server.app, 'alice');
    const res = await me(alice.token);
    expect(res.status).toBe(200);
    expect((res.body as { user: Profile }).user).toMatchObject({
      id: alice.id,
      username: 'alice',
      display_name: 'alice',
      avatar_url: null,
    });

    const none = await rest(server.app).get('/v1/users/me');
    expect(none.status).toBe(401);
    expect(errorOf(none.body).code).toBe('AUTH_REQUIRED');
    const forged = await me(
      await hostToken({ sub: alice.id }, { secret: 'another-secret-that-is-long-enough-0123456' }),
    );
    expect(forged.status).toBe(401);
    expect(errorOf(forged.body).code).toBe('TOKEN_INVALID');
    const garbage = await me('not.a.jwt');
    expect(garbage.status).toBe(401);
    expect(errorOf(garbage.body).code).toBe('TOKEN_INVALID');
  });

  it('PATCH /v1/users/me updates display_name and avatar_url (null clears the avatar)', async () => {
    const alice = await register(server.app, 'alice');
    const api = rest(server.app, alice.token);
    const res = await api.patch('/v1/users/me', {
      display_name: 'Alice in Wonderland',
      avatar_url: 'https://cdn.example.com/a.png',
    });
    expect(res.status).toBe(200);
    expect((res.body as { user: Profile }).user).toMatchObject({
      id: alice.id,
      username: 'alice',
      display_name: 'Alice in Wonderland',
      avatar_url: 'https://cdn.example.com/a.png',
    });
    expect(((await api.get('/v1/users/me')).body as { user: Profile }).user.display_name).toBe('Alice in Wonderland');

    // a partial patch leaves the other field alone
    const avatarOnly = await api.patch('/v1/users/me', { avatar_url: 'http://cdn.example.com/b.png' });
    expect((avatarOnly.body as { user: Profile }).user).toMatchObject({
      display_name: 'Alice in Wonderland',
      avatar_url: 'http://cdn.example.com/b.png',
    });
    const cleared = await api.patch('/v1/users/me', { avatar_url: null });
    expect((cleared.body as { user: Profile }).user.avatar_url).toBeNull();
  });

  it('PATCH /v1/users/me refuses an avatar_url that is not http(s), and an empty display name, with 400', async () => {
    const alice = await register(server.app, 'alice');
    const api = rest(server.app, alice.token);
    for (const avatar_url of ['javascript:alert(1)', 'ftp://example.com/a.png', 'not a url', 42]) {
      const res = await api.patch('/v1/users/me', { avatar_url });
      expect(res.status, String(avatar_url)).toBe(400);
      expect(errorOf(res.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'avatar_url' });
    }
    const emptyName = await api.patch('/v1/users/me', { display_name: '' });
    expect(emptyName.status).toBe(400);
    expect(errorOf(emptyName.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'display_name' });
    // nothing was changed by the refusals
    expect((await api.get('/v1/users/me')).body).toMatchObject({ user: { display_name: 'alice', avatar_url: null } });
  });

  it('GET /v1/users/:id returns another user’s public profile with their presence', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const api = rest(server.app, alice.token);
    const before = await api.get(`/v1/users/${bob.id}`);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      user: {
        id: bob.id,
        username: 'bob',
        display_name: 'bob',
        avatar_url: null,
        created_at: expect.stringMatching(ISO),
      },
      presence: { user_id: bob.id, status: 'offline', last_seen: null },
    });

    await connect(bob.token);
    const online = (await api.get(`/v1/users/${bob.id}`)).body as { presence: Record<string, unknown> };
    expect(online.presence).toEqual({ user_id: bob.id, status: 'online', last_seen: expect.stringMatching(ISO) });

    const unknown = await api.get('/v1/users/u_nobody');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).code).toBe('NOT_FOUND');
  });

  it('GET /v1/users?ids=a,b returns the profiles of the ids that exist', async () => {
    const alice = await register(server.app, 'alice');
    const bob = await register(server.app, 'bob');
    const carol = await register(server.app, 'carol');
    const api = rest(server.app, alice.token);
    const res = await api.get(`/v1/users?ids=${bob.id},${carol.id},u_nobody`);
    expect(res.status).toBe(200);
    const users = (res.body as { users: Profile[] }).users;
    expect(users.map((u) => u.id).sort()).toEqual([bob.id, carol.id].sort());
    expect(users.find((u) => u.id === carol.id)).toMatchObject({ username: 'carol', display_name: 'carol' });

    const missing = await api.get('/v1/users');
    expect(missing.status).toBe(400);
    expect(errorOf(missing.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'ids' });
  });

  it('a standalone access token authenticates a WebSocket, on the upgrade or with an auth frame', async () => {
    const alice = await register(server.app, 'alice');
    const s = await connect(alice.token);
    expect(helloUser(s)).toMatchObject({ id: alice.id, username: 'alice' });

    const late = await TestSocket.open(server.wsUrl);
    sockets.push(late);
    late.send({ type: 'auth', id: 'a1', token: alice.token });
    const hello = await late.next((f) => f.type === 'hello');
    expect(hello).toMatchObject({ id: 'a1', user: { id: alice.id } });

    // a refreshed access token works too
    const refreshed = (await rest(server.app).post('/v1/auth/refresh', { refresh_token: alice.refreshToken }))
      .body as Session;
    const again = await connect(refreshed.access_token);
    expect(helloUser(again).id).toBe(alice.id);
  });
});

describe('host-application tokens', () => {
  it('`sub` names the user, created on first sight over REST with the username and name claims', async () => {
    const token = await hostToken({ sub: 'host-42', username: 'ann', name: 'Ann Archer' });
    const res = await me(token);
    expect(res.status).toBe(200);
    expect((res.body as { user: Profile }).user).toMatchObject({
      id: 'host-42',
      username: 'ann',
      display_name: 'Ann Archer',
      avatar_url: null,
    });
    // and now exists for everybody else
    const other = await hostToken({ sub: 'host-43' });
    const seen = await rest(server.app, other).get('/v1/users/host-42');
    expect(seen.status).toBe(200);
    expect((seen.body as { user: Profile }).user.username).toBe('ann');
  });

  it('a numeric `user_id` claim names the user, rendered as a JSON number everywhere', async () => {
    const token = await hostToken({ user_id: 7, username: 'seven' });
    const res = await me(token);
    expect(res.status).toBe(200);
    expect((res.body as { user: Profile }).user).toMatchObject({ id: 7, username: 'seven', display_name: 'seven' });

    const other = await hostToken({ user_id: 8 });
    const api = rest(server.app, other);
    expect(((await api.get('/v1/users/7')).body as { user: Profile }).user.id).toBe(7);
    expect((await api.get('/v1/users?ids=7,8')).body).toMatchObject({
      users: expect.arrayContaining([expect.objectContaining({ id: 7 }), expect.objectContaining({ id: 8 })]),
    });
    expect(
      ((await api.get('/v1/presence?user_ids=7')).body as { presence: { user_id: unknown }[] }).presence[0],
    ).toMatchObject({ user_id: 7 });
  });

  it('a `userId` claim names the user; `sub` wins over `user_id` when both are present', async () => {
    const uuid = '0b7c3f8e-1a2b-4c5d-8e9f-0123456789ab';
    const res = await me(await hostToken({ userId: uuid, name: 'Uma' }));
    expect(res.status).toBe(200);
    expect((res.body as { user: Profile }).user).toMatchObject({ id: uuid, username: null, display_name: 'Uma' });

    const both = await me(await hostToken({ sub: 'from-sub', user_id: 99 }));
    expect((both.body as { user: Profile }).user.id).toBe('from-sub');
  });

  it('a token naming no valid user id is 401 TOKEN_INVALID', async () => {
    for (const claims of [{}, { sub: 'has spaces' }, { user_id: -1 }, { username: 'only-a-name' }]) {
      const res = await me(await hostToken(claims));
      expect(res.status, JSON.stringify(claims)).toBe(401);
      expect(errorOf(res.body).code).toBe('TOKEN_INVALID');
    }
  });

  it('an expired host token is 401 TOKEN_EXPIRED', async () => {
    const res = await me(await hostToken({ sub: 'late' }, { expiresInSec: -60 }));
    expect(res.status).toBe(401);
    expect(errorOf(res.body).code).toBe('TOKEN_EXPIRED');
  });

  it('username and name claims update the stored profile when they change', async () => {
    await me(await hostToken({ sub: '300', username: 'old_name', name: 'Old Name' }));
    const changed = await me(await hostToken({ sub: '300', username: 'new_name', name: 'New Name' }));
    expect((changed.body as { user: Profile }).user).toMatchObject({
      id: 300,
      username: 'new_name',
      display_name: 'New Name',
    });
    const viewer = await hostToken({ sub: '301' });
    const seen = (await rest(server.app, viewer).get('/v1/users/300')).body as { user: Profile };
    expect(seen.user).toMatchObject({ username: 'new_name', display_name: 'New Name' });

    // over the WebSocket too
    const s = await connect(await hostToken({ sub: '300', username: 'ws_name', name: 'WS Name' }));
    expect(helloUser(s)).toMatchObject({ id: 300, username: 'ws_name', display_name: 'WS Name' });
    const after = (await rest(server.app, viewer).get('/v1/users/300')).body as { user: Profile };
    expect(after.user).toMatchObject({ username: 'ws_name', display_name: 'WS Name' });
  });

  it('a host user is created on first sight over the WebSocket, numeric id as a number', async () => {
    const s = await connect(await hostToken({ user_id: 501, username: 'wsuser', name: 'WS User' }));
    expect(helloUser(s)).toMatchObject({ id: 501, username: 'wsuser', display_name: 'WS User' });
    const viewer = await hostToken({ sub: '502' });
    const res = await rest(server.app, viewer).get('/v1/users/501');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user: { id: 501, username: 'wsuser', display_name: 'WS User' },
      presence: { user_id: 501, status: 'online' },
    });
  });

  it('a forged token on the WebSocket upgrade gets an error frame and close 3500', async () => {
    const forged = await hostToken({ sub: 'x' }, { secret: 'another-secret-that-is-long-enough-0123456' });
    const s = await TestSocket.open(server.wsUrl, { token: forged });
    sockets.push(s);
    const closed = await s.closed;
    expect(closed.code).toBe(CLOSE_CODES.AUTH_FAILED);
    expect(s.events('error')[0]).toMatchObject({ code: 'TOKEN_INVALID' });
  });

  describe('with PARLEY_JWT_ISSUER and PARLEY_JWT_AUDIENCE', () => {
    let strict: TestServer;
    const issuer = 'https://host.example.com';
    const audience = 'parley-chat';
    beforeEach(async () => {
      strict = await startServer({ PARLEY_JWT_ISSUER: issuer, PARLEY_JWT_AUDIENCE: audience });
    });
    afterEach(async () => {
      await strict.stop();
    });

    it('tokens with the wrong (or no) iss or aud are 401 TOKEN_INVALID', async () => {
      const cases = [
        { issuer: 'https://evil.example.com', audience },
        { issuer, audience: 'another-app' },
        { audience },
        { issuer },
        {},
      ];
      for (const options of cases) {
        const res = await me(await hostToken({ sub: 'u1' }, options), strict);
        expect(res.status, JSON.stringify(options)).toBe(401);
        expect(errorOf(res.body).code).toBe('TOKEN_INVALID');
      }
      const ws = await TestSocket.open(strict.wsUrl, {
        token: await hostToken({ sub: 'u1' }, { issuer: 'https://evil.example.com', audience }),
      });
      sockets.push(ws);
      expect((await ws.closed).code).toBe(CLOSE_CODES.AUTH_FAILED);
    });

    it('tokens with the right iss and aud are accepted over REST and WebSocket', async () => {
      const token = await hostToken({ sub: 'u1', username: 'strict_user' }, { issuer, audience });
      const res = await me(token, strict);
      expect(res.status).toBe(200);
      expect((res.body as { user: Profile }).user).toMatchObject({ id: 'u1', username: 'strict_user' });
      const s = await connect(token, strict);
      expect(helloUser(s).id).toBe('u1');
    });

    it('the server’s own standalone tokens carry the configured iss and aud and are accepted', async () => {
      const alice = await register(strict.app, 'alice');
      expect(decodeJwt(alice.token)).toMatchObject({ iss: issuer, aud: audience, sub: alice.id });
      expect((await me(alice.token, strict)).status).toBe(200);
    });
  });

  describe('with PARLEY_JWKS_URL', () => {
    let jwks: JwksServer;
    let withJwks: TestServer;
    beforeAll(async () => {
      jwks = await startJwksServer();
    });
    afterAll(async () => {
      await jwks.close();
    });
    beforeEach(async () => {
      withJwks = await startServer({ PARLEY_JWKS_URL: jwks.url });
    });
    afterEach(async () => {
      await withJwks.stop();
    });

    it('accepts RS256 tokens signed by the key the JWKS publishes, over REST and WebSocket', async () => {
      const token = await jwks.sign({ sub: 'idp-user-1', username: 'jay', name: 'Jay Doe' });
      const res = await me(token, withJwks);
      expect(res.status).toBe(200);
      expect((res.body as { user: Profile }).user).toMatchObject({
        id: 'idp-user-1',
        username: 'jay',
        display_name: 'Jay Doe',
      });
      expect(jwks.fetches()).toBeGreaterThanOrEqual(1);
      const s = await connect(await jwks.sign({ user_id: 9001 }), withJwks);
      expect(helloUser(s).id).toBe(9001);
    });

    it('refuses RS256 tokens signed by any other key with 401 TOKEN_INVALID', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      // a foreign key claiming the published kid, and one with a kid the JWKS does not have
      for (const kid of [jwks.kid, 'unknown-kid']) {
        const forged = await signRs256({ sub: 'intruder' }, privateKey, kid);
        const res = await me(forged, withJwks);
        expect(res.status, kid).toBe(401);
        expect(errorOf(res.body).code).toBe('TOKEN_INVALID');
      }
      const forged = await signRs256({ sub: 'intruder' }, privateKey, jwks.kid);
      const ws = await TestSocket.open(withJwks.wsUrl, { token: forged });
      sockets.push(ws);
      expect((await ws.closed).code).toBe(CLOSE_CODES.AUTH_FAILED);
      // the intruder was never created
      const viewer = await jwks.sign({ sub: 'viewer' });
      expect((await rest(withJwks.app, viewer).get('/v1/users/intruder')).status).toBe(404);
    });

    it('while the JWKS endpoint is unreachable, a JWKS-signed token is refused as retryable 503 UNAVAILABLE, not TOKEN_INVALID', async () => {
      const down = await startJwksServer('down-key');
      const token = await down.sign({ sub: 'idp-user-2' });
      await down.close();
      const orphan = await startServer({ PARLEY_JWKS_URL: down.url });
      try {
        const res = await me(token, orphan);
        expect(res.status).toBe(503);
        expect(errorOf(res.body)).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
      } finally {
        await orphan.stop();
      }
    });

    it('without PARLEY_JWKS_URL, RS256 tokens are 401 TOKEN_INVALID', async () => {
      const res = await me(await jwks.sign({ sub: 'idp-user-1' }));
      expect(res.status).toBe(401);
      expect(errorOf(res.body).code).toBe('TOKEN_INVALID');
    });
  });
});
