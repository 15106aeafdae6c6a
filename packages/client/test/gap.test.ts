import { PROTOCOL_VERSION } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { ParleyClient } from '../src/index.js';
import { client, until } from './kit.js';

/**
 * A live event lost on the way (a pub/sub miss between nodes) cannot be caused on demand against one real
 * server, so this peer is scripted: it skips seq 2 live, then serves it from `sync` like the store would.
 */
let wss: WebSocketServer;
let c: ParleyClient;
afterEach(async () => {
  c?.disconnect();
  await new Promise((r) => wss.close(r));
});

const message = (seq: number) => ({
  id: String(100 + seq),
  conversation_id: 'dm:1:2',
  seq,
  sender_id: 2,
  kind: 'text',
  text: `m${seq}`,
  metadata: null,
  reply_to: null,
  client_msg_id: null,
  created_at: new Date().toISOString(),
});

describe('gap detection', () => {
  it('C1: a live message that skips a seq triggers a catch-up, and the app still sees 1, 2, 3 in order', async () => {
    const syncs: Record<string, number>[] = [];
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      const sync = (id: string, positions: Record<string, number>) => {
        syncs.push(positions);
        if (syncs.length === 2) ws.send(JSON.stringify({ type: 'msg.new', message: message(2) })); // the replay
        ws.send(JSON.stringify({ type: 'result', id, data: { conversations: [], total_unread: 0 } }));
        if (syncs.length === 1) {
          ws.send(JSON.stringify({ type: 'msg.new', message: message(1) }));
          setTimeout(() => ws.send(JSON.stringify({ type: 'msg.new', message: message(3) })), 50); // 2 is lost
        }
      };
      ws.on('message', (data) => {
        const f = JSON.parse(String(data));
        if (f.type === 'auth') {
          const user = {
            id: 1,
            username: 'a',
            display_name: 'a',
            avatar_url: null,
            created_at: new Date().toISOString(),
          };
          ws.send(
            JSON.stringify({
              type: 'hello',
              protocol: PROTOCOL_VERSION,
              user,
              connection_id: 'c',
              device_id: null,
              node_id: 'n',
              heartbeat_ms: 25_000,
              server_time: new Date().toISOString(),
              limits: { max_frame_bytes: 65536, max_message_chars: 4000 },
            }),
          );
          if (f.sync) sync(f.sync.id, f.sync.positions); // C4: the first sync comes with auth
        } else if (f.type === 'sync') {
          sync(f.id, f.positions);
        }
      });
    });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as { port: number }).port;
    c = client({ url: `ws://127.0.0.1:${port}/v1/ws`, token: 'x', deliveryReceipts: false });
    const seen: number[] = [];
    c.on('message', (m) => seen.push(m.seq));
    c.connect();
    await until(() => seen.length === 3, 5000, 'three messages');
    expect(seen).toEqual([1, 2, 3]);
    expect(syncs[1]).toEqual({ 'dm:1:2': 1 }); // the catch-up asked from the hole
  });
});
