import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { register, rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { errorOf } from '../helpers/users.js';

/** Issue 16 item 9: reuse of a rotated refresh token revokes its whole family (every token of that sign-in). */

describe.each(['sqlite', 'postgres'] as const)('refresh-token families (%s)', (kind) => {
  let server: TestServer;
  let db: TestDatabase | null = null;

  beforeAll(async () => {
    db = kind === 'postgres' ? await createTestDatabase() : null;
    server = await startServer(db ? { DATABASE_URL: db.url } : {});
  });
  afterAll(async () => {
    await server.stop();
    await db?.drop();
  });

  const refresh = (token: string) => rest(server.app).post('/v1/auth/refresh', { refresh_token: token });
  const tokenOf = (res: { body: unknown }) => (res.body as { refresh_token: string }).refresh_token;
  const login = async (username: string) =>
    tokenOf(await rest(server.app).post('/v1/auth/login', { username, password: 'correct-horse-battery' }));

  it('replaying a rotated token revokes the family: the thief and the owner must both sign in again', async () => {
    const alice = await register(server.app, `alice-${kind}`);
    const stolen = alice.refreshToken;
    const second = await refresh(stolen);
    expect(second.status).toBe(200);
    const third = await refresh(tokenOf(second));
    expect(third.status).toBe(200);
    const latest = tokenOf(third);
    // Another sign-in of the same user is another family.
    const otherSignIn = await login(`alice-${kind}`);

    const replay = await refresh(stolen);
    expect(replay.status).toBe(401);
    expect(errorOf(replay.body).code).toBe('TOKEN_INVALID');
    expect(errorOf(replay.body).message).toMatch(/already used/);
    // The newest token of that family is dead too.
    expect((await refresh(latest)).status).toBe(401);
    // The other sign-in is untouched.
    expect((await refresh(otherSignIn)).status).toBe(200);
  });

  it('a rotated token is single-use; an unknown token revokes nothing', async () => {
    const bob = await register(server.app, `bob-${kind}`);
    const next = await refresh(bob.refreshToken);
    expect((await refresh('not-a-token-at-all')).status).toBe(401);
    expect((await refresh(tokenOf(next))).status).toBe(200);
  });

  it('logging out ends the whole sign-in', async () => {
    const carol = await register(server.app, `carol-${kind}`);
    const next = tokenOf(await refresh(carol.refreshToken));
    expect((await rest(server.app).post('/v1/auth/logout', { refresh_token: next })).status).toBe(204);
    expect((await refresh(next)).status).toBe(401);
  });
});
