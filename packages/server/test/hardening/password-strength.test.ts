import { afterEach, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';

/** Issue 16 item 11: weak passwords are refused at registration with WEAK_PASSWORD and advice. */

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

const registerWith = (username: string, password: string) =>
  rest(server.app).post('/v1/auth/register', { username, password });
const errorOf = (body: unknown) => (body as { error: { code: string; message: string; field?: string } }).error;

describe('password strength (issue 16.11)', () => {
  it('"password" and "12345678" are refused with 400 WEAK_PASSWORD on field password, saying why', async () => {
    server = await startServer({ PARLEY_PASSWORD_MIN_SCORE: '3' });
    for (const password of ['password', '12345678', 'qwertyuiop', 'P@ssw0rd']) {
      const res = await registerWith('alice', password);
      expect(res.status).toBe(400);
      expect(errorOf(res.body)).toMatchObject({ code: 'WEAK_PASSWORD', field: 'password' });
      expect(errorOf(res.body).message).toMatch(/too easy to guess/);
    }
    expect(errorOf((await registerWith('alice', 'password')).body).message).toMatch(/heavily used password/);
    // Nothing was created: the name is still free for a strong password.
    expect((await registerWith('alice', 'correct-horse-battery')).status).toBe(201);
  });

  it('a password made of the username is refused', async () => {
    server = await startServer({ PARLEY_PASSWORD_MIN_SCORE: '3' });
    const res = await registerWith('maria.lopez', 'maria.lopez1');
    expect(errorOf(res.body).code).toBe('WEAK_PASSWORD');
  });

  it('long passphrases are accepted, and the longest allowed password is answered', async () => {
    server = await startServer({ PARLEY_PASSWORD_MIN_SCORE: '3' });
    expect((await registerWith('bob', 'violet tractor under seven lanterns')).status).toBe(201);
    expect((await registerWith('carol', 'aB3$'.repeat(50))).status).toBe(400);
  });

  it('PARLEY_PASSWORD_MIN_SCORE=0 turns the check off', async () => {
    server = await startServer({ PARLEY_PASSWORD_MIN_SCORE: '0' });
    expect((await registerWith('dave', '12345678')).status).toBe(201);
  });
});
