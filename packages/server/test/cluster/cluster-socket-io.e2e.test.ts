import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Balancer } from '../helpers/balancer.js';
import { TestCluster } from '../helpers/cluster.js';
import { hostToken } from '../helpers/host-token.js';
import { TestSocket } from '../helpers/test-socket.js';
import { ReconnectingIo } from '../seeds/helpers/reconnecting-io.js';
import { until } from '../seeds/helpers/seed-script.js';

/** Seed 001's standard socket.io-client against a cluster of real processes over PostgreSQL and Redis. */

let cluster: TestCluster;
const closers: { close(): void }[] = [];
beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 2 });
}, 240_000);
afterAll(async () => {
  for (const c of closers.splice(0)) c.close();
  await cluster?.stop();
}, 60_000);

const receivedOn = (c: ReconnectingIo, text: string) => c.named('new_message').some((m) => m.content === text);

describe('cluster: Socket.IO clients', () => {
  it('D4: a brand-new user gets a live message sent by a user on another node right after its connect, 10 of 10 times', async () => {
    const sender = await TestSocket.connect(
      cluster.node(1).wsUrl,
      await hostToken({ sub: '100', username: 's' }),
      30_000,
    );
    closers.push(sender);
    const missed: number[] = [];
    for (let i = 0; i < 10; i++) {
      const id = 200 + i; // never seen before by any node
      const fresh = new ReconnectingIo(cluster.node(0).url, await hostToken({ sub: String(id) }), ['websocket']);
      closers.push(fresh);
      await until(() => fresh.connects === 1, 'connected', 15_000);
      const text = `right after connect ${i}`;
      await sender.call('msg.send', { to_user_id: id, text });
      try {
        await until(() => receivedOn(fresh, text), 'the live message', 3_000);
      } catch {
        missed.push(i);
      }
      fresh.close();
    }
    expect(missed).toEqual([]);
  }, 120_000);

  it('D5: a client behind a balancer reconnects by itself to the other node when its node drains (SIGTERM), and again when that node is killed (SIGKILL)', async () => {
    const balancer = new Balancer([cluster.node(0).port]);
    await balancer.start();
    closers.push({ close: () => void balancer.stop() });
    const peer = await TestSocket.connect(
      cluster.node(1).wsUrl,
      await hostToken({ sub: '301', username: 'peer' }),
      30_000,
    );
    closers.push(peer);
    const client = new ReconnectingIo(`http://127.0.0.1:${balancer.port}`, await hostToken({ sub: '300' }), [
      'websocket',
    ]);
    closers.push(client);
    await until(() => client.connects === 1, 'connected to node 0', 15_000);

    // a rolling deploy: node 0 drains; new connections go to node 1
    balancer.setTargets([cluster.node(1).port]);
    const node0 = cluster.node(0).process;
    node0?.child.kill('SIGTERM');
    expect(await node0?.exited).toBe(0);
    await until(() => client.connects === 2, 'reconnected to node 1 by itself', 15_000);
    expect(client.disconnects).not.toContain('io server disconnect');
    await peer.call('msg.send', { to_user_id: 300, text: 'after the drain' });
    await until(() => receivedOn(client, 'after the drain'), 'the message sent after the drain', 5_000);

    // node 0 is back; node 1 dies without a goodbye
    await cluster.restart(0);
    const back = await TestSocket.connect(
      cluster.node(0).wsUrl,
      await hostToken({ sub: '302', username: 'back' }),
      30_000,
    );
    closers.push(back);
    balancer.setTargets([cluster.node(0).port]);
    await cluster.kill(1);
    await until(() => client.connects === 3, 'reconnected to node 0 by itself', 15_000);
    await back.call('msg.send', { to_user_id: 300, text: 'after the kill' });
    await until(() => receivedOn(client, 'after the kill'), 'the message sent after the kill', 5_000);
  }, 180_000);
});
