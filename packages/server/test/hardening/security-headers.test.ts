import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';

/** Issue 16 item 9: browser hardening headers on the web app and on API answers, over real HTTP. */

let server: TestServer;
let webDir: string;

beforeAll(async () => {
  webDir = mkdtempSync(join(tmpdir(), 'parley-web-'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Parley</title><div id="root"></div>');
  server = await startServer({ PARLEY_WEB_DIR: webDir });
});
afterAll(async () => {
  await server.stop();
  rmSync(webDir, { recursive: true, force: true });
});

function expectHardened(res: Response): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
}

describe('browser hardening headers (issue 16.9)', () => {
  it('the web app (the sign-in page) may not be framed by any site and carries a CSP', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
    expectHardened(res);
  });

  it('API answers carry nosniff and the same headers: success, refusal, 404 and ops', async () => {
    const alice = await register(server.app, 'alice');
    const me = await fetch(`${server.url}/v1/users/me`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(me.status).toBe(200);
    expectHardened(me);
    const refused = await fetch(`${server.url}/v1/users/me`);
    expect(refused.status).toBe(401);
    expectHardened(refused);
    const missing = await fetch(`${server.url}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expectHardened(missing);
    expectHardened(await fetch(`${server.url}/health`));
  });
});
