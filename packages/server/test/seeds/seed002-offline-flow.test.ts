import { afterEach, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { hostUser } from '../helpers/users.js';
import { IoClient } from './helpers/io-client.js';
import { until } from './helpers/seed-script.js';

const BACKLOG = 300;
const LONG = '学习微积分'.repeat(798); // 3,990 characters, ~12,000 bytes in UTF-8

let server: TestServer | null = null;
const clients: IoClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = null;
});

describe('seed 002 offline push, flow-controlled (C3)', () => {
  it('C3: an agent 300 long Chinese messages behind gets every one on register, in order, and is never cut off as a slow consumer', async () => {
    server = await startServer({ PARLEY_SEND_BUFFER_BYTES: String(64 * 1024), PARLEY_RATE_MESSAGES_PER_SEC: '100000' });
    const customer = await hostUser(server.app, '1', 'customer');
    const agent = await hostUser(server.app, '2', 'agent');
    const api = rest(server.app, customer.token);
    for (let i = 1; i <= BACKLOG; i++) {
      const res = await api.post('/v1/messages', { to_user_id: 2, text: `${i} ${LONG}`, client_msg_id: `long-${i}` });
      expect(res.status).toBe(201);
    }
    const c = await IoClient.connect(`http://127.0.0.1:${server.port}`, { transports: ['websocket'] });
    clients.push(c);
    let disconnected = false;
    c.socket.on('disconnect', () => {
      disconnected = true;
    });
    c.socket.emit('register', { user_id: 2, token: agent.token, connection_id: 'conn-a', device_id: 'agent-1' });
    await until(() => c.named('new_message').length >= BACKLOG || disconnected, 'offline messages', 60_000);
    expect(disconnected).toBe(false);
    const offline = c.named('new_message');
    expect(offline.map((m) => Number(String(m.text).split(' ')[0]))).toEqual(
      Array.from({ length: BACKLOG }, (_, i) => i + 1),
    );
    expect(offline.every((m) => m.offline === true && String(m.text).endsWith(LONG))).toBe(true);
    // still connected and answering
    expect(await c.request('heartbeat', {})).toBeTruthy();
  }, 120_000);
});
