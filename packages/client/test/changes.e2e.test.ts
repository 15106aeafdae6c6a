import { afterEach, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.js';
import { client, hostToken, recorder, rest, startServer, type TestServer, until } from './kit.js';

let server: TestServer;
const clients: ParleyClient[] = [];
const make = (...args: Parameters<typeof client>) => {
  const c = client(...args);
  clients.push(c);
  return c;
};

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await server?.stop();
});

describe('ParleyClient and the change stream (C5)', () => {
  it('a message deleted while the client is online or away ends deleted in its store, each change emitted once', async () => {
    server = await startServer();
    const aliceToken = await hostToken({ sub: '1' });
    const alice = make({ url: server.wsUrl, token: aliceToken });
    const bob = make({ url: server.wsUrl, token: await hostToken({ sub: '2' }) });
    const bobSeen = recorder(bob);
    const updated: { seq: number; kind: string }[] = [];
    bob.on('message-updated', (m) => updated.push({ seq: m.seq, kind: m.kind }));
    alice.connect();
    bob.connect();
    await until(() => alice.state === 'connected' && bob.state === 'connected');
    for (let i = 1; i <= 4; i++) await alice.send({ toUserId: 2 }, `m${i}`);
    await until(() => bobSeen.length === 4);
    const conv = bobSeen[0]?.conversation as string;
    const idOf = (seq: number) => bob.messages.get(conv, seq)?.id as string;
    const del = (seq: number) => rest(server.app, aliceToken).delete(`/api/messages/${idOf(seq)}`);

    // online: pushed, applied in place
    const first = await del(2);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    await until(() => bob.messages.get(conv, 2)?.kind === 'deleted');
    expect(updated).toEqual([{ seq: 2, kind: 'deleted' }]);

    // away: learned in the catch-up, from the revision held
    bob.disconnect();
    expect((await del(3)).status).toBe(200);
    await alice.send({ toUserId: 2 }, 'm5');
    bob.connect();
    await until(() => bobSeen.length === 5 && bob.messages.get(conv, 3)?.kind === 'deleted', 10_000, 'catch-up');
    expect(updated).toEqual([
      { seq: 2, kind: 'deleted' },
      { seq: 3, kind: 'deleted' },
    ]);
    expect(bob.messages.list(conv).map((m) => [m.seq, m.kind, m.text])).toEqual([
      [1, 'text', 'm1'],
      [2, 'deleted', ''],
      [3, 'deleted', ''],
      [4, 'text', 'm4'],
      [5, 'text', 'm5'],
    ]);
    // exactly-once display still holds: each message emitted once as new
    expect(bobSeen.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(bob.revs.positions()[conv]).toBe(7); // 5 messages + 2 deletions
  });
});
