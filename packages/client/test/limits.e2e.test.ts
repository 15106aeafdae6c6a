import { CLOSE_CODES } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/index.js';
import { client, hostToken, startServer, type TestServer, until } from './kit.js';

/** Issue 16 item 7 from the SDK's side: a refusal the user must act on stops the client; it does not loop. */

let server: TestServer;
const clients: ParleyClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await server?.stop();
});

describe('ParleyClient and the per-account limits', () => {
  it('a new device beyond PARLEY_MAX_DEVICES_PER_USER is closed with 3504 and the client stops', async () => {
    server = await startServer({ PARLEY_MAX_DEVICES_PER_USER: '1' });
    const token = await hostToken({ sub: '1' });
    const phone = client({ url: server.wsUrl, token, device: { id: 'phone-1', name: 'Phone' } });
    const laptop = client({ url: server.wsUrl, token, device: { id: 'laptop-1', name: 'Laptop' } });
    clients.push(phone, laptop);
    phone.connect();
    await until(() => phone.state === 'connected');
    const codes: (number | undefined)[] = [];
    laptop.on('state', (s) => codes.push(s.code));
    laptop.connect();
    await until(() => laptop.state === 'disconnected');
    expect(codes).toContain(CLOSE_CODES.TOO_MANY_DEVICES);
    expect(phone.state).toBe('connected');
  });
});
