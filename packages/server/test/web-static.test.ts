import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';

let server: TestServer | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await server?.stop();
  server = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function builtApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  return dir;
}

describe('the web app at /', () => {
  it('PARLEY_WEB_DIR defaults to packages/web/dist of the repository', () => {
    expect(loadConfig({}).webDir.replaceAll('\\', '/')).toMatch(/packages\/web\/dist$/);
    expect(loadConfig({ PARLEY_WEB_DIR: '/srv/parley-web' }).webDir).toBe('/srv/parley-web');
  });

  it('serves index.html (revalidated) and hashed assets (cached for a year)', async () => {
    server = await startServer({ PARLEY_WEB_DIR: builtApp() });
    const index = await rest(server.app).get('/');
    expect(index.status).toBe(200);
    expect(String(index.headers['content-type'])).toContain('text/html');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(String(index.body)).toContain('<div id="root">');
    const asset = await rest(server.app).get('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('unknown paths still get the JSON 404 of the REST edge; the API is unaffected', async () => {
    server = await startServer({ PARLEY_WEB_DIR: builtApp() });
    const missing = await rest(server.app).get('/v1/nope');
    expect(missing.status).toBe(404);
    expect((missing.body as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await rest(server.app).get('/health')).body).toBe('OK');
  });

  it('without a build the server starts and / says how to build the app', async () => {
    server = await startServer({ PARLEY_WEB_DIR: join(tmpdir(), 'parley-no-such-dir') });
    const res = await rest(server.app).get('/');
    expect(res.status).toBe(200);
    expect(String(res.body)).toContain('npm run build');
  });
});

describe('GET /v1/users/by-username/:username', () => {
  it('finds a standalone account case-insensitively, with presence; 404 for unknown names', async () => {
    server = await startServer({ PARLEY_WEB_DIR: join(tmpdir(), 'parley-no-such-dir') });
    const ann = await register(server.app, 'ann.lee');
    await register(server.app, 'ben');
    const found = await rest(server.app, ann.token).get('/v1/users/by-username/BEN');
    expect(found.status).toBe(200);
    const body = found.body as { user: { username: string }; presence: { status: string } };
    expect(body.user.username).toBe('ben');
    expect(body.presence.status).toBe('offline');
    const missing = await rest(server.app, ann.token).get('/v1/users/by-username/nobody');
    expect(missing.status).toBe(404);
    expect((await rest(server.app).get('/v1/users/by-username/ben')).status).toBe(401);
  });
});
