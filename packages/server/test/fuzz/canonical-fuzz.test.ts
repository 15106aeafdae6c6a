import { ERROR_CODES } from '@parley/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';

/**
 * Hostile input, generated: random frames of every canonical type and random bodies for every REST route, with a
 * fixed seed (FUZZ_SEED) so a failure replays; `npm run fuzz` runs many more (FUZZ_RUNS). Each answer must be a
 * documented code, never INTERNAL or HTTP 500, and the server and the connection must stay up.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const CODES = new Set(Object.keys(ERROR_CODES));

const FRAME_TYPES = [
  'ping',
  'auth',
  'msg.send',
  'msg.history',
  'conv.list',
  'conv.read',
  'presence.query',
  'msg.delivered',
  'sync',
  'receipts.get',
  'msg.readers',
  'presence.set',
  'typing',
  'notif.read',
] as const;
const FIELDS = [
  'conversation_id',
  'to_user_id',
  'text',
  'client_msg_id',
  'kind',
  'metadata',
  'reply_to',
  'seq',
  'before',
  'after',
  'limit',
  'positions',
  'revs',
  'user_ids',
  'status',
  'state',
  'context',
  'ids',
  'all',
  'token',
  'device',
  'sync',
] as const;

/** Values that hit validators' edges: wrong types, huge and tiny numbers, odd strings, nesting. */
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-1, 0, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 63, '', ' ', 'g:1', 'dm:a:b', '\u202e', '\ud800', '学习'),
  fc.string({ maxLength: 300 }),
  fc.integer(),
);
const frame = fc
  .record(
    {
      type: fc.oneof(fc.constantFrom(...FRAME_TYPES), fc.string({ maxLength: 20 })),
      id: fc.oneof(
        fc.constant(undefined),
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.integer(),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    },
    { requiredKeys: ['type'] },
  )
  .chain((base) =>
    fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }).map((fields) => ({ ...fields, ...base })),
  );

let server: TestServer;
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  server = await startServer({ PARLEY_RATE_FRAMES_PER_SEC: '100000', PARLEY_RATE_MESSAGES_PER_SEC: '100000' });
  alice = await register(server.app, 'alice');
  bob = await register(server.app, 'bob');
  const res = await rest(server.app, alice.token).post('/v1/messages', { to_user_id: bob.id, text: 'hi' });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await server?.stop();
});

describe('fuzz: hostile input gets documented codes, the process and the connection stay up', () => {
  it('R1 R2: random canonical frames are answered with documented error codes, never INTERNAL; the socket stays open', async () => {
    const socket = await TestSocket.connect(server.wsUrl, alice.token);
    let probe = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        const from = socket.frames.length;
        socket.ws.send(JSON.stringify(f));
        // a ping after it: its pong says the frame before it was handled and the connection is alive
        const id = `probe-${++probe}`;
        socket.ws.send(JSON.stringify({ type: 'ping', id }));
        await socket.wait((x) => x.type === 'pong' && x.id === id, 10_000);
        for (const reply of socket.frames.slice(from)) {
          if (reply.type !== 'error') continue;
          expect(
            CODES.has(String(reply.code)),
            `undocumented code in ${JSON.stringify(reply)} for ${JSON.stringify(f)}`,
          ).toBe(true);
          expect(reply.code, `INTERNAL for ${JSON.stringify(f)}`).not.toBe('INTERNAL');
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.close();
  }, 120_000);

  it('random bodies, queries and path values on every REST route never answer 500, and every refusal has a documented code', async () => {
    const ROUTES: [string, string][] = [
      ['POST', '/v1/auth/register'],
      ['POST', '/v1/auth/login'],
      ['POST', '/v1/auth/refresh'],
      ['POST', '/v1/auth/logout'],
      ['GET', '/v1/conversations'],
      ['POST', '/v1/conversations'],
      ['GET', '/v1/conversations/:id/messages'],
      ['POST', '/v1/conversations/:id/messages'],
      ['POST', '/v1/messages'],
      ['POST', '/v1/conversations/:id/read'],
      ['POST', '/v1/conversations/:id/delivered'],
      ['GET', '/v1/conversations/:id/receipts'],
      ['GET', '/v1/conversations/:id/messages/:seq/readers'],
      ['GET', '/v1/devices'],
      ['PUT', '/v1/devices/:id'],
      ['GET', '/v1/friends'],
      ['POST', '/v1/friends/requests'],
      ['POST', '/v1/friends/requests/:id/accept'],
      ['POST', '/v1/friends/requests/:id/decline'],
      ['PUT', '/v1/blocks/:id'],
      ['POST', '/v1/groups'],
      ['GET', '/v1/groups/:id'],
      ['PATCH', '/v1/groups/:id'],
      ['POST', '/v1/groups/:id/members'],
      ['PATCH', '/v1/groups/:id/members/:id'],
      ['POST', '/v1/groups/:id/join'],
      ['GET', '/v1/notifications'],
      ['POST', '/v1/notifications/read'],
      ['PATCH', '/v1/users/me'],
      ['GET', '/v1/users/by-username/:id'],
      ['GET', '/v1/users/:id'],
      ['GET', '/v1/users'],
      ['GET', '/v1/presence'],
      ['POST', '/v1/server/notifications'],
      ['PUT', '/v1/server/users/:id'],
      ['GET', '/api/messages/conversations'],
      ['POST', '/messages/user'],
      ['POST', '/messages/group'],
      ['GET', '/api/v1/online'],
    ];
    const pathValue = fc.oneof(
      fc.constantFrom('1', '0', '-1', 'g:1', bob.id, alice.id, 'dm:x:y', '%00', '..', '9'.repeat(30)),
      fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
    );
    const query = fc.dictionary(
      fc.constantFrom('limit', 'before', 'after', 'offset', 'q', 'unread', 'ids', 'user_ids', 'cursor'),
      fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String)),
      { maxKeys: 3 },
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(
        fc.constantFrom(
          ...FIELDS,
          'user_id',
          'name',
          'username',
          'password',
          'role',
          'member_ids',
          'display_name',
          'avatar_url',
        ),
        value,
        { maxKeys: 6 },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), pathValue, query, body, async ([method, path], id, q, payload) => {
        const url = path.replaceAll(':id', id).replace(':seq', id);
        const search = new URLSearchParams(q).toString();
        const res = await server.app.http.inject({
          method: method as 'GET',
          url: search ? `${url}?${search}` : url,
          headers: { authorization: `Bearer ${alice.token}` },
          ...(method === 'GET'
            ? {}
            : {
                payload: JSON.stringify(payload),
                headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
              }),
        });
        const where = `${method} ${url}?${search} ${JSON.stringify(payload)?.slice(0, 300)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(res.statusCode, where).toBeLessThan(500);
        if (res.statusCode >= 400 && res.headers['content-type']?.toString().includes('json')) {
          const b = res.json() as { error?: { code?: string }; code?: string };
          const code = b.error?.code ?? b.code;
          if (code !== undefined) expect(CODES.has(code) || /^[A-Z_]+$/.test(code), where).toBe(true);
        }
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
    expect((await rest(server.app).get('/health')).status).toBe(200);
  }, 120_000);
});
