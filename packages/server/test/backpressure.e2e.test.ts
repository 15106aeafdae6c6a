import { afterEach, describe, expect, it } from 'vitest';
import { registerUsers, SocketPool } from './helpers/delivery-kit.js';
import { rest } from './helpers/rest.js';
import { startServer, type TestServer } from './helpers/test-server.js';

let server: TestServer;
const pool = new SocketPool(() => server);
afterEach(async () => {
  pool.closeAll();
  await server?.stop();
});

describe('read backpressure', () => {
  it("R7: past PARLEY_MAX_UNACKED_PER_CONNECTION unanswered sends, a connection's next frames wait for the acks; all are stored in order", async () => {
    server = await startServer({ PARLEY_MAX_UNACKED_PER_CONNECTION: '2' });
    const [alice, bob] = await registerUsers(server.app, ['alice', 'bob']);
    const first = await rest(server.app, alice.token).post('/v1/messages', { to_user_id: bob.id, text: 'open' });
    const conv = (first.body as { message: { conversation_id: string } }).message.conversation_id;
    const s = await pool.connect(alice.token);
    const N = 40;
    // one burst: N sends, then a ping, all in the socket before the first ack can be written
    const burst = Array.from({ length: N }, (_, i) =>
      JSON.stringify({
        type: 'msg.send',
        id: `s${i + 1}`,
        conversation_id: conv,
        text: `m${i + 1}`,
        client_msg_id: `bp-${i + 1}`,
      }),
    );
    for (const f of burst) s.ws.send(f);
    s.ws.send(JSON.stringify({ type: 'ping', id: 'after' }));
    await s.wait((f) => f.type === 'pong' && f.id === 'after', 15_000);
    const results = s.frames.filter((f) => f.type === 'result' && String(f.id).startsWith('s'));
    const pongAt = s.frames.findIndex((f) => f.type === 'pong' && f.id === 'after');
    // the ping was handled only once the window reopened after the sends before it: at most a window's worth of
    // them were still unanswered when it was answered
    const answeredBefore = s.frames.slice(0, pongAt).filter((f) => f.type === 'result' && String(f.id).startsWith('s'));
    expect(answeredBefore.length).toBeGreaterThanOrEqual(N - 2);
    if (!s.frames.some((f) => f.type === 'result' && f.id === `s${N}`)) {
      await s.wait((f) => f.type === 'result' && f.id === `s${N}`, 15_000);
    }
    const seqs = s.frames
      .filter((f) => f.type === 'result' && String(f.id).startsWith('s'))
      .map((f) => (f.data as { message: { seq: number } }).message.seq);
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 2));
    expect(results.length).toBeLessThanOrEqual(N);
  });
});
