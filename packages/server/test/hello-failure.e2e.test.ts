import { CLOSE_CODES } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { closedWithin, errorBody, expectServing, hostUser } from './helpers/refusal-kit.js';
import { startServer, type TestServer } from './helpers/test-server.js';
import { TestSocket } from './helpers/test-socket.js';

/**
 * The store failing while a connection is being welcomed (found by the cluster benchmark: PostgreSQL timing out
 * under load took whole worker processes down with an unhandled rejection): the client is told to retry and the
 * connection closes with 3004; the server keeps serving everyone else.
 */
let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

/** Makes the store's user lookup fail (UNAVAILABLE) until the returned function is called. */
function failUserLookups(s: TestServer): () => void {
  const store = s.app.store as unknown as { getUser: (id: string) => Promise<unknown> };
  const original = store.getUser;
  store.getUser = async () => {
    throw new AppError('UNAVAILABLE');
  };
  return () => {
    store.getUser = original;
  };
}

describe('hello when the store is unreachable', () => {
  it('token on the upgrade: error UNAVAILABLE, close 3004, the server keeps serving', async () => {
    server = await startServer();
    const user = await hostUser(server, '7101');
    const restore = failUserLookups(server);
    const socket = await TestSocket.open(server.wsUrl, { token: user.token });
    const closed = await closedWithin(socket);
    expect(closed.code).toBe(CLOSE_CODES.TRY_AGAIN_LATER);
    expect(socket.frames).toEqual([{ type: 'error', ...errorBody('UNAVAILABLE') }]);
    restore();
    await expectServing(server, user.token);
  });

  it('auth frame: the error carries the frame id, close 3004', async () => {
    server = await startServer();
    const user = await hostUser(server, '7102');
    const restore = failUserLookups(server);
    const socket = await TestSocket.open(server.wsUrl);
    socket.send({ type: 'auth', id: 'a1', token: user.token });
    const closed = await closedWithin(socket);
    expect(closed.code).toBe(CLOSE_CODES.TRY_AGAIN_LATER);
    expect(socket.frames).toEqual([{ type: 'error', id: 'a1', ...errorBody('UNAVAILABLE') }]);
    restore();
    await expectServing(server, user.token);
  });
});
