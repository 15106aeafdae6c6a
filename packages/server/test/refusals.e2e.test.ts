import { CLOSE_CODES, ERROR_CODES, type ErrorCode } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { hostToken } from './helpers/host-token.js';
import {
  anonymousError,
  ask,
  closedWithin,
  errorBody,
  expectServing,
  type Frame,
  hostUser,
  isReplyTo,
  ping,
  repliesTo,
  sleep,
} from './helpers/refusal-kit.js';
import { register, rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';

/**
 * Every refusal path of the server, over real WebSockets and over REST: the exact error code, HTTP status or
 * close code, that the connection stays usable where it should, and that the server keeps serving.
 */

const OTHER_SECRET = 'another-secret-that-is-long-enough-for-hs256-9876543210';

const servers: TestServer[] = [];
const sockets: TestSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function serve(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startServer(env);
  servers.push(server);
  return server;
}

/** Opens and waits for `hello`. */
async function connect(server: TestServer, token: string): Promise<TestSocket> {
  const socket = await TestSocket.connect(server.wsUrl, token);
  sockets.push(socket);
  return socket;
}

/** Opens without waiting for anything (no token unless given). */
async function open(server: TestServer, options: Parameters<typeof TestSocket.open>[1] = {}): Promise<TestSocket> {
  const socket = await TestSocket.open(server.wsUrl, options);
  sockets.push(socket);
  return socket;
}

/** Asserts an `error` frame: its code, the registry's retryable flag, a message, and the id (or its absence). */
function expectErrorFrame(frame: Frame, code: ErrorCode, extra: { id?: string | number; field?: string } = {}): void {
  expect(frame).toMatchObject({ type: 'error', ...errorBody(code, extra.field ? { field: extra.field } : {}) });
  if (extra.id === undefined) expect(frame).not.toHaveProperty('id');
  else expect(frame.id).toBe(extra.id);
}

/** Asserts a REST refusal: the status, and a body of exactly `{ error: { code, message, retryable, ... } }`. */
function expectRestError(
  res: { status: number; body: unknown },
  status: number,
  code: ErrorCode,
  extra: Record<string, unknown> = {},
): void {
  expect(ERROR_CODES[code].status).toBe(status);
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error: expect.objectContaining(errorBody(code, extra)) });
  expect(Object.keys(res.body as object)).toEqual(['error']);
}

type SendAck = { message: { id: string; conversation_id: string; seq: number; client_msg_id: string | null } };

describe('WebSocket: malformed frames (R1, R2)', () => {
  it('R2: malformed JSON gets INVALID_JSON without an id and the connection stays usable', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await connect(server, alice.token);

    for (const bad of ['{not json', '{"type":"ping",', '', 'undefined', "{'type':'ping'}"]) {
      expectErrorFrame(await anonymousError(s, bad), 'INVALID_JSON');
    }
    await ping(s);
    const ok = await s.request('msg.send', { to_user_id: bob.id, text: 'still here' });
    expect(ok.type).toBe('result');
    await expectServing(server, bob.token);
  });

  it('R2: a JSON array, a JSON scalar and an object without a string "type" get INVALID_FRAME; the connection stays usable', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const s = await connect(server, alice.token);

    for (const bad of [
      '[]',
      '[{"type":"ping"}]',
      'null',
      '42',
      '"ping"',
      'true',
      '{}',
      '{"type":5}',
      '{"type":null}',
    ]) {
      expectErrorFrame(await anonymousError(s, bad), 'INVALID_FRAME');
    }
    await ping(s);
    expect((await s.request('conv.list')).type).toBe('result');
  });

  it('R1: an object with an id but no string "type" gets INVALID_FRAME echoing that id', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const s = await connect(server, alice.token);

    // The frame parsed and carries an id, so its one reply must carry it (ErrorEvent.id is absent only when the
    // frame had none or could not be parsed).
    for (const [id, frame] of [
      ['typeless-1', { id: 'typeless-1', text: 'no type here' }],
      ['typeless-2', { id: 'typeless-2', type: 42 }],
    ] as const) {
      const error = s.wait((f) => f.type === 'error');
      s.send(frame);
      expectErrorFrame(await error, 'INVALID_FRAME', { id });
    }
    await ping(s);
  });

  it('R1: an unknown type gets UNKNOWN_TYPE echoing the request id (string or number)', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const s = await connect(server, alice.token);

    expectErrorFrame(await ask(s, { type: 'msg.delete', id: 'u-1' }), 'UNKNOWN_TYPE', { id: 'u-1' });
    expectErrorFrame(await ask(s, { type: 'x'.repeat(5000), id: 77 }), 'UNKNOWN_TYPE', { id: 77 });
    expectErrorFrame(await ask(s, { type: '__proto__', id: 'u-3' }), 'UNKNOWN_TYPE', { id: 'u-3' });
    expectErrorFrame(await ask(s, { type: 'constructor', id: 'u-4' }), 'UNKNOWN_TYPE', { id: 'u-4' });
    await ping(s);
    expect((await s.request('conv.list')).type).toBe('result');
  });

  it('R1: a request without an id gets VALIDATION_FAILED field id (and no id)', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await connect(server, alice.token);

    for (const frame of [
      { type: 'msg.send', to_user_id: bob.id, text: 'no id' },
      { type: 'conv.list' },
      { type: 'msg.history', conversation_id: 'dm:1:2', id: { nested: true } },
    ]) {
      expectErrorFrame(await anonymousError(s, frame), 'VALIDATION_FAILED', { field: 'id' });
    }
    // the request without id was refused, not performed
    const page = await s.call<{ messages: unknown[] }>('msg.history', { conversation_id: 'dm:1:2' });
    expect(page.messages).toHaveLength(0);
  });

  it('R2: a binary frame gets an error frame and the connection stays usable', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await connect(server, alice.token);

    const error = s.wait((f) => f.type === 'error');
    s.ws.send(Buffer.from(JSON.stringify({ type: 'ping', id: 'bin-1' })), { binary: true });
    const frame = await error;
    expect(['INVALID_JSON', 'INVALID_FRAME']).toContain(frame.code);
    expectErrorFrame(frame, frame.code as ErrorCode);
    s.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    await s.wait((f) => f.type === 'error');
    await ping(s);
    expect((await s.request('msg.send', { to_user_id: bob.id, text: 'after binary' })).type).toBe('result');
  });

  it('R1: every request with an id gets exactly one reply with that id, valid or refused', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await connect(server, alice.token);

    const batch: (Record<string, unknown> & { id: string | number })[] = [
      { type: 'ping', id: 'b1' },
      { type: 'no.such.type', id: 'b2' },
      { type: 'msg.send', id: 'b3', to_user_id: bob.id },
      { type: 'msg.send', id: 'b4', to_user_id: bob.id, text: 'valid', client_msg_id: 'batch-1' },
      { type: 'msg.send', id: 'b5', to_user_id: bob.id, text: 'valid again', client_msg_id: 'batch-1' },
      { type: 'msg.send', id: 'b6', to_user_id: '999999', text: 'to nobody' },
      { type: 'msg.history', id: 'b7', conversation_id: 'dm:1:2' },
      { type: 'msg.history', id: 'b8', conversation_id: 'g:4242' },
      { type: 'presence.query', id: 'b9', user_ids: 'not-an-array' },
      { type: 'conv.list', id: 10 },
      { type: 'conv.read', id: 'b11', conversation_id: 'dm:1:2', seq: 'x' },
    ];
    const replies = batch.map((f) => s.wait(isReplyTo(f.id)));
    for (const f of batch) s.send(f);
    const got = await Promise.all(replies);
    // a sentinel after everything: frames are handled in order, so a second reply to any of them would be in by now
    await ping(s);
    for (const f of batch) expect(repliesTo(s, f.id), `replies to ${f.id}`).toHaveLength(1);
    const byId = new Map(batch.map((f, i) => [f.id, got[i] as Frame]));
    expect(byId.get('b1')?.type).toBe('pong');
    expectErrorFrame(byId.get('b2') as Frame, 'UNKNOWN_TYPE', { id: 'b2' });
    expectErrorFrame(byId.get('b3') as Frame, 'VALIDATION_FAILED', { id: 'b3', field: 'text' });
    expect(byId.get('b4')).toMatchObject({ type: 'result', data: { duplicate: false } });
    expect(byId.get('b5')).toMatchObject({ type: 'result', data: { duplicate: true } });
    expectErrorFrame(byId.get('b6') as Frame, 'NOT_FOUND', { id: 'b6' });
    expect(byId.get('b7')?.type).toBe('result');
    expectErrorFrame(byId.get('b8') as Frame, 'NOT_FOUND', { id: 'b8' });
    expectErrorFrame(byId.get('b9') as Frame, 'VALIDATION_FAILED', { id: 'b9', field: 'user_ids' });
    expect(byId.get(10)?.type).toBe('result');
    expectErrorFrame(byId.get('b11') as Frame, 'VALIDATION_FAILED', { id: 'b11', field: 'seq' });
    await ping(s);
  });
});

describe('WebSocket: msg.send input', () => {
  const cases: { label: string; payload: (bob: string) => Record<string, unknown>; field: string }[] = [
    { label: 'no text', payload: (bob) => ({ to_user_id: bob }), field: 'text' },
    { label: 'text a number', payload: (bob) => ({ to_user_id: bob, text: 42 }), field: 'text' },
    { label: 'text null', payload: (bob) => ({ to_user_id: bob, text: null }), field: 'text' },
    { label: 'empty text', payload: (bob) => ({ to_user_id: bob, text: '   ' }), field: 'text' },
    {
      label: 'both conversation_id and to_user_id',
      payload: (bob) => ({ to_user_id: bob, conversation_id: 'dm:1:2', text: 'hi' }),
      field: 'conversation_id',
    },
    { label: 'neither conversation_id nor to_user_id', payload: () => ({ text: 'hi' }), field: 'conversation_id' },
    {
      label: 'conversation_id a number',
      payload: () => ({ conversation_id: 12, text: 'hi' }),
      field: 'conversation_id',
    },
    {
      label: 'to_user_id with bad characters',
      payload: () => ({ to_user_id: 'a b/c', text: 'hi' }),
      field: 'to_user_id',
    },
    { label: 'to_user_id negative', payload: () => ({ to_user_id: -3, text: 'hi' }), field: 'to_user_id' },
    {
      label: 'client_msg_id with bad characters',
      payload: (bob) => ({ to_user_id: bob, text: 'hi', client_msg_id: 'has space/and!' }),
      field: 'client_msg_id',
    },
    {
      label: 'client_msg_id too long',
      payload: (bob) => ({ to_user_id: bob, text: 'hi', client_msg_id: 'c'.repeat(65) }),
      field: 'client_msg_id',
    },
    {
      label: 'client_msg_id a number',
      payload: (bob) => ({ to_user_id: bob, text: 'hi', client_msg_id: 7 }),
      field: 'client_msg_id',
    },
    {
      label: 'metadata an array',
      payload: (bob) => ({ to_user_id: bob, text: 'hi', metadata: [1, 2] }),
      field: 'metadata',
    },
    {
      label: 'metadata a string',
      payload: (bob) => ({ to_user_id: bob, text: 'hi', metadata: '{}' }),
      field: 'metadata',
    },
    {
      label: 'kind with capitals',
      payload: (bob) => ({ to_user_id: bob, text: 'hi', kind: 'Bad Kind' }),
      field: 'kind',
    },
    { label: 'kind a number', payload: (bob) => ({ to_user_id: bob, text: 'hi', kind: 3 }), field: 'kind' },
    {
      label: 'reply_to not a message id',
      payload: (bob) => ({ to_user_id: bob, text: 'hi', reply_to: 'abc' }),
      field: 'reply_to',
    },
  ];

  it.each(cases)(
    'msg.send with $label gets VALIDATION_FAILED field $field; the next send works',
    async ({ payload, field }) => {
      const server = await serve();
      const alice = await hostUser(server, '1');
      const bob = await hostUser(server, '2');
      const s = await connect(server, alice.token);

      const reply = await ask(s, { type: 'msg.send', id: 'bad', ...payload(bob.id) });
      expectErrorFrame(reply, 'VALIDATION_FAILED', { id: 'bad', field });
      const ok = await s.call<SendAck>('msg.send', { to_user_id: bob.id, text: 'valid' });
      expect(ok.message.seq).toBe(1); // the refused send stored nothing
    },
  );

  it('text over PARLEY_MAX_MESSAGE_CHARS gets MESSAGE_TOO_LONG and the connection still works', async () => {
    const server = await serve({ PARLEY_MAX_MESSAGE_CHARS: '50' });
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await connect(server, alice.token);
    const hello = s.frames.find((f) => f.type === 'hello') as Frame;
    expect(hello.limits).toMatchObject({ max_message_chars: 50 });

    const long = await s.request('msg.send', { to_user_id: bob.id, text: 'x'.repeat(51), client_msg_id: 'long' });
    expectErrorFrame(long, 'MESSAGE_TOO_LONG', { id: long.id as string });
    expect(long).not.toMatchObject({ retryable: true });
    const exact = await s.call<SendAck>('msg.send', { to_user_id: bob.id, text: 'y'.repeat(50), client_msg_id: 'ok' });
    expect(exact.message.seq).toBe(1);
    const page = await s.call<{ messages: { client_msg_id: string }[] }>('msg.history', {
      conversation_id: exact.message.conversation_id,
    });
    expect(page.messages.map((m) => m.client_msg_id)).toEqual(['ok']);
  });

  it('metadata over PARLEY_MAX_METADATA_BYTES gets PAYLOAD_TOO_LARGE field metadata and the connection still works', async () => {
    const server = await serve({ PARLEY_MAX_METADATA_BYTES: '64' });
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await connect(server, alice.token);

    const big = await s.request('msg.send', {
      to_user_id: bob.id,
      text: 'with metadata',
      kind: 'card',
      metadata: { blob: 'm'.repeat(100) },
    });
    expectErrorFrame(big, 'PAYLOAD_TOO_LARGE', { id: big.id as string, field: 'metadata' });
    const small = await s.call<SendAck>('msg.send', {
      to_user_id: bob.id,
      text: 'with metadata',
      kind: 'card',
      metadata: { ok: true },
    });
    expect(small.message.seq).toBe(1);
  });

  it('R3: a frame over PARLEY_MAX_FRAME_BYTES closes the socket with 1009; other clients are still served', async () => {
    const server = await serve({ PARLEY_MAX_FRAME_BYTES: '2048' });
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const carol = await hostUser(server, '3');
    const a = await connect(server, alice.token);
    const b = await connect(server, bob.token);
    const c = await connect(server, carol.token);

    // just under the limit is fine
    const fits = { type: 'msg.send', id: 'fits', to_user_id: bob.id, text: 'f'.repeat(1900) };
    expect(Buffer.byteLength(JSON.stringify(fits))).toBeLessThanOrEqual(2048);
    expect((await ask(a, fits)).type).toBe('result');

    a.send({ type: 'msg.send', id: 'huge', to_user_id: bob.id, text: 'h'.repeat(3000) });
    expect((await closedWithin(a)).code).toBe(1009);
    expect(repliesTo(a, 'huge')).toHaveLength(0);

    // the others are unaffected
    const ack = await b.call<SendAck>('msg.send', { to_user_id: carol.id, text: 'bob to carol' });
    const got = await c.next((f) => f.type === 'msg.new');
    expect(got.message).toEqual(ack.message);
    // the oversized message was not stored; the sender can reconnect
    const again = await connect(server, alice.token);
    const page = await again.call<{ messages: { text: string }[] }>('msg.history', { conversation_id: 'dm:1:2' });
    expect(page.messages.map((m) => m.text.length)).toEqual([1900]);
    await expectServing(server, carol.token);
  });
});

describe('WebSocket: who may send and read what (S1)', () => {
  it('S1: to_user_id of a user that does not exist gets NOT_FOUND', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const s = await connect(server, alice.token);

    for (const to of ['424242', 424243, 'nobody@example.com']) {
      const reply = await s.request('msg.send', { to_user_id: to, text: 'hello?' });
      expectErrorFrame(reply, 'NOT_FOUND', { id: reply.id as string });
    }
    const list = await s.call<{ conversations: unknown[] }>('conv.list');
    expect(list.conversations).toHaveLength(0);
    await ping(s);
  });

  it('S1: a group conversation id that does not exist gets NOT_FOUND for msg.send and msg.history', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const s = await connect(server, alice.token);

    const send = await s.request('msg.send', { conversation_id: 'g:999', text: 'anyone?' });
    expectErrorFrame(send, 'NOT_FOUND', { id: send.id as string });
    const history = await s.request('msg.history', { conversation_id: 'g:999' });
    expectErrorFrame(history, 'NOT_FOUND', { id: history.id as string });
    for (const bad of ['g:0', 'g:01', 'group:1', 'dm:1', 'dm:2:1']) {
      const r = await s.request('msg.send', { conversation_id: bad, text: 'x' });
      expectErrorFrame(r, 'NOT_FOUND', { id: r.id as string });
    }
    await ping(s);
  });

  it('S1: a group the user is not a member of gets NOT_MEMBER for msg.send, msg.history and conv.read', async () => {
    const server = await serve();
    const owner = await hostUser(server, '1');
    const member = await hostUser(server, '2');
    const outsider = await hostUser(server, '3');
    const created = await rest(server.app, owner.token).post('/v1/groups', { name: 'Inner', member_ids: [member.id] });
    expect(created.status).toBe(201);
    const groupConv = (created.body as { group: { conversation_id: string } }).group.conversation_id;
    const m = await connect(server, member.token);
    await m.call('msg.send', { conversation_id: groupConv, text: 'members only' });

    const o = await connect(server, outsider.token);
    const send = await o.request('msg.send', { conversation_id: groupConv, text: 'let me in' });
    expectErrorFrame(send, 'NOT_MEMBER', { id: send.id as string });
    const history = await o.request('msg.history', { conversation_id: groupConv });
    expectErrorFrame(history, 'NOT_MEMBER', { id: history.id as string });
    const read = await o.request('conv.read', { conversation_id: groupConv, seq: 1 });
    expectErrorFrame(read, 'NOT_MEMBER', { id: read.id as string });

    // nothing leaked, nothing stored, and the outsider's connection still works
    await ping(o);
    expect(o.events('msg.new')).toHaveLength(0);
    const page = await m.call<{ messages: { text: string }[] }>('msg.history', { conversation_id: groupConv });
    expect(page.messages.map((x) => x.text)).toEqual(['members only']);
  });

  it('S1: the DM conversation of two other users gets NOT_MEMBER for msg.send and msg.history', async () => {
    const server = await serve();
    const u1 = await hostUser(server, '1');
    const u2 = await hostUser(server, '2');
    const u3 = await hostUser(server, '3');
    const s1 = await connect(server, u1.token);
    await s1.call('msg.send', { to_user_id: u2.id, text: 'private' });

    const s3 = await connect(server, u3.token);
    const send = await s3.request('msg.send', { conversation_id: 'dm:1:2', text: 'eavesdrop' });
    expectErrorFrame(send, 'NOT_MEMBER', { id: send.id as string });
    const history = await s3.request('msg.history', { conversation_id: 'dm:1:2' });
    expectErrorFrame(history, 'NOT_MEMBER', { id: history.id as string });
    const read = await s3.request('conv.read', { conversation_id: 'dm:1:2', seq: 1 });
    expectErrorFrame(read, 'NOT_MEMBER', { id: read.id as string });
    // its own DM with user 1 works
    expect((await s3.request('msg.send', { conversation_id: 'dm:1:3', text: 'hi 1' })).type).toBe('result');
  });

  it('reply_to a message of another conversation gets NOT_FOUND field reply_to', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const carol = await hostUser(server, '3');
    const a = await connect(server, alice.token);
    const toBob = await a.call<SendAck>('msg.send', { to_user_id: bob.id, text: 'for bob' });

    const cross = await a.request('msg.send', { to_user_id: carol.id, text: 're', reply_to: toBob.message.id });
    expectErrorFrame(cross, 'NOT_FOUND', { id: cross.id as string, field: 'reply_to' });
    const missing = await a.request('msg.send', { to_user_id: bob.id, text: 're', reply_to: '987654321' });
    expectErrorFrame(missing, 'NOT_FOUND', { id: missing.id as string, field: 'reply_to' });
    // a reply in the same conversation works
    const ok = await a.call<{ message: { reply_to: string } }>('msg.send', {
      to_user_id: bob.id,
      text: 're',
      reply_to: toBob.message.id,
    });
    expect(ok.message.reply_to).toBe(toBob.message.id);
  });

  it('messaging yourself gets VALIDATION_FAILED', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const s = await connect(server, alice.token);

    for (const to of ['1', 1]) {
      const r = await s.request('msg.send', { to_user_id: to, text: 'note to self' });
      expectErrorFrame(r, 'VALIDATION_FAILED', { id: r.id as string, field: 'to_user_id' });
    }
    const list = await s.call<{ conversations: unknown[] }>('conv.list');
    expect(list.conversations).toHaveLength(0);
    await ping(s);
  });

  it('S1: a blocked pair gets BLOCKED in both directions, by user and by conversation id', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const a = await connect(server, alice.token);
    const b = await connect(server, bob.token);
    const first = await a.call<SendAck>('msg.send', { to_user_id: bob.id, text: 'before the block' });
    await b.next((f) => f.type === 'msg.new');

    expect((await rest(server.app, alice.token).put(`/v1/blocks/${bob.id}`)).status).toBe(204);

    const aToB = await a.request('msg.send', { to_user_id: bob.id, text: 'blocked?' });
    expectErrorFrame(aToB, 'BLOCKED', { id: aToB.id as string });
    const bToA = await b.request('msg.send', { to_user_id: alice.id, text: 'blocked?' });
    expectErrorFrame(bToA, 'BLOCKED', { id: bToA.id as string });
    const bToConv = await b.request('msg.send', { conversation_id: first.message.conversation_id, text: 'blocked?' });
    expectErrorFrame(bToConv, 'BLOCKED', { id: bToConv.id as string });
    const rest403 = await rest(server.app, bob.token).post(
      `/v1/conversations/${first.message.conversation_id}/messages`,
      { text: 'blocked over REST?' },
    );
    expectRestError(rest403, 403, 'BLOCKED');

    // nothing was delivered or stored; unblocking restores the DM
    await ping(b);
    expect(b.events('msg.new')).toHaveLength(1);
    expect((await rest(server.app, alice.token).delete(`/v1/blocks/${bob.id}`)).status).toBe(204);
    const after = await b.call<SendAck>('msg.send', { to_user_id: alice.id, text: 'unblocked' });
    expect(after.message.seq).toBe(2);
  });

  it('S1: with PARLEY_DM_POLICY=friends a DM between non-friends gets NOT_FRIENDS, and works once they are friends', async () => {
    const server = await serve({ PARLEY_DM_POLICY: 'friends' });
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const a = await connect(server, alice.token);
    const b = await connect(server, bob.token);

    const aToB = await a.request('msg.send', { to_user_id: bob.id, text: 'hi stranger' });
    expectErrorFrame(aToB, 'NOT_FRIENDS', { id: aToB.id as string });
    const bToA = await b.request('msg.send', { conversation_id: 'dm:1:2', text: 'hi stranger' });
    expectErrorFrame(bToA, 'NOT_FRIENDS', { id: bToA.id as string });
    expectRestError(
      await rest(server.app, alice.token).post('/v1/messages', { to_user_id: bob.id, text: 'over REST' }),
      403,
      'NOT_FRIENDS',
    );

    // a pending request is not a friendship yet
    expect((await rest(server.app, alice.token).post('/v1/friends/requests', { user_id: bob.id })).status).toBe(201);
    const pending = await a.request('msg.send', { to_user_id: bob.id, text: 'still strangers' });
    expectErrorFrame(pending, 'NOT_FRIENDS', { id: pending.id as string });
    expect((await rest(server.app, bob.token).post(`/v1/friends/requests/${alice.id}/accept`)).status).toBe(204);

    const ok = await a.call<SendAck>('msg.send', { to_user_id: bob.id, text: 'hi friend' });
    expect(ok.message.seq).toBe(1);
    const got = await b.next((f) => f.type === 'msg.new');
    expect((got.message as { text: string }).text).toBe('hi friend');
    expect((await b.request('msg.send', { to_user_id: alice.id, text: 'hi back' })).type).toBe('result');
  });

  it('S1: the DM policy is checked on every send: once unfriended, the existing DM gets NOT_FRIENDS again', async () => {
    const server = await serve({ PARLEY_DM_POLICY: 'friends' });
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    expect((await rest(server.app, alice.token).post('/v1/friends/requests', { user_id: bob.id })).status).toBe(201);
    expect((await rest(server.app, bob.token).post(`/v1/friends/requests/${alice.id}/accept`)).status).toBe(204);
    const a = await connect(server, alice.token);
    const first = await a.call<SendAck>('msg.send', { to_user_id: bob.id, text: 'while friends' });

    expect((await rest(server.app, bob.token).delete(`/v1/friends/${alice.id}`)).status).toBe(204);
    const byConv = await a.request('msg.send', { conversation_id: first.message.conversation_id, text: 'still?' });
    expectErrorFrame(byConv, 'NOT_FRIENDS', { id: byConv.id as string });
    const byUser = await a.request('msg.send', { to_user_id: bob.id, text: 'still?' });
    expectErrorFrame(byUser, 'NOT_FRIENDS', { id: byUser.id as string });
    // reading the conversation they had stays allowed
    const page = await a.call<{ messages: { text: string }[] }>('msg.history', {
      conversation_id: first.message.conversation_id,
    });
    expect(page.messages.map((m) => m.text)).toEqual(['while friends']);
  });

  it('S1: a member removed from a group, or one who left, gets NOT_MEMBER on the next send and read', async () => {
    const server = await serve();
    const owner = await hostUser(server, '1');
    const kicked = await hostUser(server, '2');
    const leaver = await hostUser(server, '3');
    const created = await rest(server.app, owner.token).post('/v1/groups', {
      name: 'Shrinking',
      member_ids: [kicked.id, leaver.id],
    });
    expect(created.status).toBe(201);
    const group = (created.body as { group: { id: number; conversation_id: string } }).group;
    const k = await connect(server, kicked.token);
    const l = await connect(server, leaver.token);
    // both can send and read while members (this also warms the membership cache)
    await k.call('msg.send', { conversation_id: group.conversation_id, text: 'hello from 2' });
    await l.call('msg.send', { conversation_id: group.conversation_id, text: 'hello from 3' });
    await k.call('msg.history', { conversation_id: group.conversation_id });

    expect((await rest(server.app, owner.token).delete(`/v1/groups/${group.id}/members/${kicked.id}`)).status).toBe(
      204,
    );
    expect((await rest(server.app, leaver.token).post(`/v1/groups/${group.id}/leave`)).status).toBe(204);

    for (const s of [k, l]) {
      const send = await s.request('msg.send', { conversation_id: group.conversation_id, text: 'am I still in?' });
      expectErrorFrame(send, 'NOT_MEMBER', { id: send.id as string });
      const history = await s.request('msg.history', { conversation_id: group.conversation_id });
      expectErrorFrame(history, 'NOT_MEMBER', { id: history.id as string });
      await ping(s);
    }
    const page = await rest(server.app, owner.token).get(`/v1/conversations/${group.conversation_id}/messages`);
    expect((page.body as { messages: unknown[] }).messages).toHaveLength(2);
  });
});

describe('WebSocket: authentication (A1, A2, A3)', () => {
  it('A1: before auth, requests get AUTH_REQUIRED with their id and ping is answered with pong; then an auth frame authenticates', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await open(server);

    expectErrorFrame(
      await ask(s, { type: 'msg.send', id: 'pre-1', to_user_id: bob.id, text: 'too early' }),
      'AUTH_REQUIRED',
      { id: 'pre-1' },
    );
    expectErrorFrame(await ask(s, { type: 'conv.list', id: 'pre-2' }), 'AUTH_REQUIRED', { id: 'pre-2' });
    expectErrorFrame(await ask(s, { type: 'msg.history', id: 'pre-3', conversation_id: 'dm:1:2' }), 'AUTH_REQUIRED', {
      id: 'pre-3',
    });
    expectErrorFrame(await ask(s, { type: 'presence.query', id: 'pre-4', user_ids: [2] }), 'AUTH_REQUIRED', {
      id: 'pre-4',
    });
    expectErrorFrame(
      await ask(s, { type: 'conv.read', id: 'pre-5', conversation_id: 'dm:1:2', seq: 1 }),
      'AUTH_REQUIRED',
      {
        id: 'pre-5',
      },
    );
    expectErrorFrame(await anonymousError(s, { type: 'conv.list' }), 'AUTH_REQUIRED');
    const pong = await ask(s, { type: 'ping', id: 'pre-ping' });
    expect(pong).toMatchObject({ type: 'pong', id: 'pre-ping', server_time: expect.any(String) });
    await anonymousError(s, { type: 'msg.send', to_user_id: bob.id, text: 'still early' });
    expect(s.events('hello')).toHaveLength(0);

    const hello = await ask(s, { type: 'auth', id: 'auth-1', token: alice.token });
    expect(hello).toMatchObject({ type: 'hello', id: 'auth-1', user: { id: 1 } });
    expect((await s.request('msg.send', { to_user_id: bob.id, text: 'now' })).type).toBe('result');
    // nothing sent before auth was performed
    const page = await s.call<{ messages: { text: string }[] }>('msg.history', { conversation_id: 'dm:1:2' });
    expect(page.messages.map((m) => m.text)).toEqual(['now']);
  });

  it('an auth frame naming another user on an authenticated connection gets ALREADY_AUTHENTICATED; the connection stays', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await connect(server, alice.token);

    expectErrorFrame(await ask(s, { type: 'auth', id: 'switch', token: bob.token }), 'ALREADY_AUTHENTICATED', {
      id: 'switch',
    });
    // still alice
    const ack = await s.call<{ message: { sender_id: unknown } }>('msg.send', { to_user_id: bob.id, text: 'still me' });
    expect(ack.message.sender_id).toBe(1);
    // a refresh for the same user is accepted
    const refreshed = await ask(s, { type: 'auth', id: 'refresh', token: await hostToken({ sub: '1' }) });
    expect(refreshed).toMatchObject({ type: 'result', id: 'refresh', data: { user: { id: 1 } } });
  });

  it('A3: no auth frame within PARLEY_AUTH_TIMEOUT_MS closes the socket with 3502; authenticated sockets stay', async () => {
    const server = await serve({ PARLEY_AUTH_TIMEOUT_MS: '300' });
    const alice = await hostUser(server, '1');
    const authed = await connect(server, alice.token);
    const started = Date.now();
    const s = await open(server);
    await ping(s); // a ping is answered but does not authenticate

    const closed = await closedWithin(s);
    expect(closed.code).toBe(CLOSE_CODES.AUTH_TIMEOUT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const last = s.frames.at(-1) as Frame;
    expectErrorFrame(last, 'AUTH_REQUIRED');
    // the authenticated connection outlived the auth timeout
    await ping(authed);
    expect((await authed.request('conv.list')).type).toBe('result');
    await expectServing(server, alice.token);
  });

  it('A2: an auth frame with a forged token gets TOKEN_INVALID then close 3500', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const forged = await hostToken({ sub: '1', username: 'user1' }, { secret: OTHER_SECRET });
    const s = await open(server);

    const reply = await ask(s, { type: 'auth', id: 'forged', token: forged });
    expectErrorFrame(reply, 'TOKEN_INVALID', { id: 'forged' });
    expect((await closedWithin(s)).code).toBe(CLOSE_CODES.AUTH_FAILED);
    expect(s.events('hello')).toHaveLength(0);
    await expectServing(server, alice.token);
  });

  it('A2: an auth frame with a malformed or empty token gets an error then close 3500', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const garbage = await open(server);
    expectErrorFrame(await ask(garbage, { type: 'auth', id: 'g', token: 'not.a.jwt' }), 'TOKEN_INVALID', { id: 'g' });
    expect((await closedWithin(garbage)).code).toBe(CLOSE_CODES.AUTH_FAILED);

    const empty = await open(server);
    const reply = await ask(empty, { type: 'auth', id: 'e', token: 42 });
    expect(['AUTH_REQUIRED', 'TOKEN_INVALID']).toContain(reply.code);
    expect((await closedWithin(empty)).code).toBe(CLOSE_CODES.AUTH_FAILED);
    await expectServing(server, alice.token);
  });

  it('A2: a forged token on the upgrade query gets TOKEN_INVALID then close 3500', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const forged = await hostToken({ sub: '1' }, { secret: OTHER_SECRET });
    const s = await open(server, { token: forged });

    expectErrorFrame(await s.next((f) => f.type === 'error'), 'TOKEN_INVALID');
    expect((await closedWithin(s)).code).toBe(CLOSE_CODES.AUTH_FAILED);
    expect(s.events('hello')).toHaveLength(0);
    await expectServing(server, alice.token);
  });

  it('A2: an expired token on the upgrade query gets TOKEN_EXPIRED then close 3501', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const expired = await hostToken({ sub: '1', username: 'user1' }, { expiresInSec: -10 });
    const s = await open(server, { token: expired });

    expectErrorFrame(await s.next((f) => f.type === 'error'), 'TOKEN_EXPIRED');
    expect((await closedWithin(s)).code).toBe(CLOSE_CODES.TOKEN_EXPIRED);
    expect(s.events('hello')).toHaveLength(0);
    await expectServing(server, alice.token);
  });

  it('A2: an expired token in an auth frame gets TOKEN_EXPIRED then close 3501', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const expired = await hostToken({ sub: '1' }, { expiresInSec: -10 });
    const s = await open(server);

    expectErrorFrame(await ask(s, { type: 'auth', id: 'old', token: expired }), 'TOKEN_EXPIRED', { id: 'old' });
    expect((await closedWithin(s)).code).toBe(CLOSE_CODES.TOKEN_EXPIRED);
    await expectServing(server, alice.token);
  });

  it('A2: a token without any user id claim gets TOKEN_INVALID then close 3500 (upgrade and auth frame)', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const anonymous = await hostToken({ username: 'ghost', name: 'Ghost' });
    const badId = await hostToken({ sub: 'has spaces and / slashes' });

    const viaQuery = await open(server, { token: anonymous });
    expectErrorFrame(await viaQuery.next((f) => f.type === 'error'), 'TOKEN_INVALID');
    expect((await closedWithin(viaQuery)).code).toBe(CLOSE_CODES.AUTH_FAILED);

    const viaFrame = await open(server);
    expectErrorFrame(await ask(viaFrame, { type: 'auth', id: 'anon', token: badId }), 'TOKEN_INVALID', { id: 'anon' });
    expect((await closedWithin(viaFrame)).code).toBe(CLOSE_CODES.AUTH_FAILED);
    await expectServing(server, alice.token);
  });
});

describe('WebSocket: rate limits (R4)', () => {
  it('R4: a message flood gets RATE_LIMITED (retryable, retry_after_ms > 0); acknowledged messages are stored exactly once; the connection stays open', async () => {
    const server = await serve({ PARLEY_RATE_MESSAGES_PER_SEC: '5', PARLEY_RATE_MESSAGES_BURST: '5' });
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const s = await connect(server, alice.token);

    const n = 30;
    const frames = Array.from({ length: n }, (_, i) => ({
      type: 'msg.send',
      id: `flood-${i}`,
      to_user_id: bob.id,
      text: `flood ${i}`,
      client_msg_id: `cm-${i}`,
    }));
    const replies = frames.map((f) => s.wait(isReplyTo(f.id)));
    for (const f of frames) s.send(f);
    const got = await Promise.all(replies);

    const acked = got.filter((r) => r.type === 'result');
    const limited = got.filter((r) => r.type === 'error');
    expect(acked.length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expectErrorFrame(r, 'RATE_LIMITED', { id: r.id as string });
      expect(r.retryable).toBe(true);
      expect(r.retry_after_ms).toEqual(expect.any(Number));
      expect(r.retry_after_ms as number).toBeGreaterThan(0);
      expect(r.retry_after_ms as number).toBeLessThanOrEqual(1000 / 5 + 1);
    }
    for (const f of frames) expect(repliesTo(s, f.id)).toHaveLength(1);
    const ackedIds = acked.map((r) => (r.data as SendAck).message.client_msg_id).sort();

    // the connection is still open and serves non-message frames at once
    await ping(s);
    const page = await s.call<{ messages: { client_msg_id: string; seq: number }[] }>('msg.history', {
      conversation_id: 'dm:1:2',
      limit: 200,
    });
    expect(page.messages.map((m) => m.client_msg_id).sort()).toEqual(ackedIds);
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: acked.length }, (_, i) => i + 1));

    // after waiting as told, retrying a refused message (same client_msg_id) stores it once
    const last = limited.at(-1) as Frame;
    await sleep((last.retry_after_ms as number) + 20);
    const refusedIndex = Number((last.id as string).slice('flood-'.length));
    const retry = await s.call<SendAck & { duplicate: boolean }>('msg.send', {
      to_user_id: bob.id,
      text: `flood ${refusedIndex}`,
      client_msg_id: `cm-${refusedIndex}`,
    });
    expect(retry.duplicate).toBe(false);
    expect(retry.message.seq).toBe(acked.length + 1);
    await expectServing(server, bob.token);
  });

  it('R4: a frame flood over PARLEY_RATE_FRAMES_PER_SEC gets RATE_LIMITED with the request id; the connection stays open', async () => {
    const server = await serve({ PARLEY_RATE_FRAMES_PER_SEC: '5', PARLEY_RATE_FRAMES_BURST: '5' });
    const alice = await hostUser(server, '1');
    const s = await connect(server, alice.token);

    const ids = Array.from({ length: 25 }, (_, i) => `ff-${i}`);
    const replies = ids.map((id) => s.wait(isReplyTo(id)));
    ids.forEach((id, i) => {
      s.send(i % 2 === 0 ? { type: 'ping', id } : { type: 'conv.list', id });
    });
    const got = await Promise.all(replies);
    const limited = got.filter((r) => r.type === 'error');
    const answered = got.filter((r) => r.type !== 'error');
    expect(answered.length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expectErrorFrame(r, 'RATE_LIMITED', { id: r.id as string });
      expect(r.retryable).toBe(true);
      expect(r.retry_after_ms as number).toBeGreaterThan(0);
    }
    for (const id of ids) expect(repliesTo(s, id)).toHaveLength(1);
    // the socket was never closed: once the bucket refills, requests are served again
    const last = limited.at(-1) as Frame;
    await sleep((last.retry_after_ms as number) + 20);
    expect((await s.request('conv.list')).type).toBe('result');
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    await expectServing(server, alice.token);
  });
});

describe('WebSocket: upgrade refusals', () => {
  it('an upgrade from an Origin not in PARLEY_ALLOWED_ORIGINS is refused with HTTP 403; the allowed origin connects', async () => {
    const server = await serve({ PARLEY_ALLOWED_ORIGINS: 'https://app.example.com' });
    const alice = await hostUser(server, '1');

    await expect(
      TestSocket.open(server.wsUrl, { token: alice.token, headers: { Origin: 'https://evil.example.com' } }),
    ).rejects.toThrow('HTTP 403');
    await expect(TestSocket.open(server.wsUrl, { headers: { Origin: 'http://app.example.com' } })).rejects.toThrow(
      'HTTP 403',
    );

    const allowed = await open(server, { token: alice.token, headers: { Origin: 'https://app.example.com' } });
    await allowed.next((f) => f.type === 'hello');
    await ping(allowed);
    // non-browser clients send no Origin and are not subject to the check
    await expectServing(server, alice.token);
  });

  it('an unknown WebSocket path is refused with HTTP 404', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const base = `ws://127.0.0.1:${server.port}`;

    for (const path of ['/v1/nope', '/', '/v1/ws/extra', '/V1/WS']) {
      await expect(TestSocket.open(`${base}${path}`, { token: alice.token })).rejects.toThrow('HTTP 404');
    }
    await expectServing(server, alice.token);
  });
});

describe('REST refusals', () => {
  it('A2: no token gets 401 AUTH_REQUIRED', async () => {
    const server = await serve();
    const api = rest(server.app);
    expectRestError(await api.get('/v1/users/me'), 401, 'AUTH_REQUIRED');
    expectRestError(await api.get('/v1/conversations'), 401, 'AUTH_REQUIRED');
    expectRestError(await api.post('/v1/messages', { to_user_id: '2', text: 'hi' }), 401, 'AUTH_REQUIRED');
    const notBearer = await server.app.http.inject({
      method: 'GET',
      url: '/v1/users/me',
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    expectRestError({ status: notBearer.statusCode, body: notBearer.json() }, 401, 'AUTH_REQUIRED');
  });

  it('A2: a forged token, a garbage token and a token without a user id get 401 TOKEN_INVALID', async () => {
    const server = await serve();
    const forged = await hostToken({ sub: '1' }, { secret: OTHER_SECRET });
    const noUser = await hostToken({ username: 'ghost' });
    for (const token of [forged, noUser, 'garbage']) {
      expectRestError(await rest(server.app, token).get('/v1/users/me'), 401, 'TOKEN_INVALID');
    }
  });

  it('A2: an expired token gets 401 TOKEN_EXPIRED', async () => {
    const server = await serve();
    const expired = await hostToken({ sub: '1' }, { expiresInSec: -10 });
    expectRestError(await rest(server.app, expired).get('/v1/users/me'), 401, 'TOKEN_EXPIRED');
    expectRestError(await rest(server.app, expired).get('/v1/conversations'), 401, 'TOKEN_EXPIRED');
  });

  it('a malformed JSON body gets 400 INVALID_JSON', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const raw = async (url: string, payload: string, token?: string) => {
      const res = await server.app.http.inject({
        method: 'POST',
        url,
        payload,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      return { status: res.statusCode, body: res.json() as unknown };
    };
    expectRestError(await raw('/v1/auth/login', '{"username": "a",'), 400, 'INVALID_JSON');
    expectRestError(await raw('/v1/messages', '{text: hi}', alice.token), 400, 'INVALID_JSON');
    expectRestError(await raw('/v1/messages', '', alice.token), 400, 'INVALID_JSON');
    // the server goes on answering well-formed requests
    const ok = await rest(server.app, alice.token).get('/v1/users/me');
    expect(ok.status).toBe(200);
  });

  it('a body that is not a JSON object gets 400 VALIDATION_FAILED', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    const raw = async (payload: string, contentType: string) => {
      const res = await server.app.http.inject({
        method: 'POST',
        url: '/v1/messages',
        payload,
        headers: { 'content-type': contentType, authorization: `Bearer ${alice.token}` },
      });
      return { status: res.statusCode, body: res.json() as unknown };
    };
    expectRestError(await raw('[1,2]', 'application/json'), 400, 'VALIDATION_FAILED', { field: 'body' });
    expectRestError(await raw('"text"', 'application/json'), 400, 'VALIDATION_FAILED', { field: 'body' });
    expectRestError(await raw('<text>hi</text>', 'application/xml'), 400, 'VALIDATION_FAILED');
  });

  it('a body over the limit gets 413 PAYLOAD_TOO_LARGE', async () => {
    const server = await serve({ PARLEY_MAX_FRAME_BYTES: '2048' });
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const api = rest(server.app, alice.token);
    expectRestError(
      await api.post('/v1/messages', { to_user_id: bob.id, text: 'x'.repeat(5000) }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectRestError(
      await rest(server.app).post('/v1/auth/register', { username: 'big', password: 'p'.repeat(4000) }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect((await api.post('/v1/messages', { to_user_id: bob.id, text: 'small' })).status).toBe(201);
  });

  it('R4: a message flood over REST gets 429 RATE_LIMITED with retry_after_ms and a Retry-After header', async () => {
    const server = await serve({ PARLEY_RATE_MESSAGES_PER_SEC: '5', PARLEY_RATE_MESSAGES_BURST: '5' });
    const alice = await hostUser(server, '1');
    const bob = await hostUser(server, '2');
    const api = rest(server.app, alice.token);

    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        api.post('/v1/messages', { to_user_id: bob.id, text: `rest flood ${i}`, client_msg_id: `rf-${i}` }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    const limited = results.filter((r) => r.status === 429);
    expect(created.length + limited.length).toBe(results.length);
    expect(created.length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) {
      expectRestError(r, 429, 'RATE_LIMITED', { retry_after_ms: expect.any(Number) });
      expect((r.body as { error: { retry_after_ms: number } }).error.retry_after_ms).toBeGreaterThan(0);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    const page = await api.get('/v1/conversations/dm:1:2/messages?limit=200');
    const stored = (page.body as { messages: { client_msg_id: string }[] }).messages.map((m) => m.client_msg_id);
    const acked = created.map((r) => (r.body as SendAck).message.client_msg_id);
    expect([...stored].sort()).toEqual([...acked].sort());
  });

  it('an unknown route gets 404 NOT_FOUND', async () => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    expectRestError(await rest(server.app).get('/v1/nope'), 404, 'NOT_FOUND');
    expectRestError(await rest(server.app, alice.token).get('/v1/nope'), 404, 'NOT_FOUND');
    expectRestError(await rest(server.app, alice.token).post('/v1/users/me/nothing', {}), 404, 'NOT_FOUND');
    expectRestError(await rest(server.app, alice.token).delete('/v1/conversations'), 404, 'NOT_FOUND');
  });

  it('S1: sending to or reading a group the caller is not a member of gets 403 NOT_MEMBER', async () => {
    const server = await serve();
    const owner = await hostUser(server, '1');
    const outsider = await hostUser(server, '3');
    const created = await rest(server.app, owner.token).post('/v1/groups', { name: 'Closed' });
    expect(created.status).toBe(201);
    const conv = (created.body as { group: { conversation_id: string } }).group.conversation_id;
    const api = rest(server.app, outsider.token);

    expectRestError(await api.post(`/v1/conversations/${conv}/messages`, { text: 'let me in' }), 403, 'NOT_MEMBER');
    expectRestError(await api.get(`/v1/conversations/${conv}/messages`), 403, 'NOT_MEMBER');
    expectRestError(await api.post(`/v1/conversations/${conv}/read`, { seq: 1 }), 403, 'NOT_MEMBER');
    expectRestError(await api.post('/v1/messages', { conversation_id: conv, text: 'let me in' }), 403, 'NOT_MEMBER');
    expectRestError(await api.post('/v1/conversations/dm:1:2/messages', { text: 'not mine' }), 403, 'NOT_MEMBER');
    expectRestError(await api.post('/v1/conversations/g:999/messages', { text: 'nobody' }), 404, 'NOT_FOUND');
    const page = await rest(server.app, owner.token).get(`/v1/conversations/${conv}/messages`);
    expect((page.body as { messages: unknown[] }).messages).toHaveLength(0);
  });

  it.each([
    { query: 'limit=0', field: 'limit' },
    { query: 'limit=201', field: 'limit' },
    { query: 'limit=abc', field: 'limit' },
    { query: 'before=abc', field: 'before' },
    { query: 'before=0', field: 'before' },
    { query: 'after=-1', field: 'after' },
    { query: 'offset=5&before=10', field: 'offset' },
    { query: 'offset=5&after=10', field: 'offset' },
  ])('a bad history query ($query) gets 400 VALIDATION_FAILED field $field', async ({ query, field }) => {
    const server = await serve();
    const alice = await hostUser(server, '1');
    await hostUser(server, '2');
    const res = await rest(server.app, alice.token).get(`/v1/conversations/dm:1:2/messages?${query}`);
    expectRestError(res, 400, 'VALIDATION_FAILED', { field });
  });

  it('a wrong password gets 401 BAD_CREDENTIALS', async () => {
    const server = await serve();
    await register(server.app, 'alice', 'correct-horse-battery');
    const api = rest(server.app);
    expectRestError(
      await api.post('/v1/auth/login', { username: 'alice', password: 'wrong-horse-battery' }),
      401,
      'BAD_CREDENTIALS',
    );
    expectRestError(
      await api.post('/v1/auth/login', { username: 'nobody', password: 'correct-horse-battery' }),
      401,
      'BAD_CREDENTIALS',
    );
    expect((await api.post('/v1/auth/login', { username: 'alice', password: 'correct-horse-battery' })).status).toBe(
      200,
    );
  });

  it('an unknown refresh token gets 401 TOKEN_INVALID', async () => {
    const server = await serve();
    const res = await rest(server.app).post('/v1/auth/refresh', { refresh_token: 'never-issued' });
    expectRestError(res, 401, 'TOKEN_INVALID');
  });

  it('self-registration gets 403 REGISTRATION_CLOSED when PARLEY_REGISTRATION=closed', async () => {
    const server = await serve({ PARLEY_REGISTRATION: 'closed' });
    const res = await rest(server.app).post('/v1/auth/register', { username: 'alice', password: 'correct-horse' });
    expectRestError(res, 403, 'REGISTRATION_CLOSED');
  });

  it('a duplicate username (case-insensitive) gets 409 CONFLICT', async () => {
    const server = await serve();
    await register(server.app, 'Alice');
    const api = rest(server.app);
    for (const username of ['Alice', 'alice', 'ALICE']) {
      expectRestError(await api.post('/v1/auth/register', { username, password: 'another-password' }), 409, 'CONFLICT');
    }
    expect((await api.post('/v1/auth/register', { username: 'alice2', password: 'another-password' })).status).toBe(
      201,
    );
  });
});
