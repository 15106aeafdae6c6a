import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register } from '../helpers/rest.js';
import { startServer, type TestServer } from '../helpers/test-server.js';
import { TestSocket } from '../helpers/test-socket.js';

/** Issue 16 item 1: clients that send a request slowly are cut off; the server keeps answering others. */

let server: TestServer;
const open: Socket[] = [];

beforeEach(async () => {
  server = await startServer({
    PARLEY_HTTP_REQUEST_TIMEOUT_MS: '1000',
    PARLEY_HTTP_HEADERS_TIMEOUT_MS: '600',
    PARLEY_HTTP_KEEP_ALIVE_TIMEOUT_MS: '500',
  });
});
afterEach(async () => {
  for (const s of open.splice(0)) s.destroy();
  await server.stop();
});

/**
 * A client that sends `head` at once, then one byte of `trickle` every `everyMs`, forever. Resolves, when the
 * server closes the connection, with what the server answered.
 */
function slowClient(head: string, trickle: string, everyMs: number): Promise<string> {
  const socket = connect(server.port, '127.0.0.1');
  open.push(socket);
  let answer = '';
  let i = 0;
  socket.on('data', (d) => {
    answer += d.toString();
  });
  socket.on('error', () => {});
  socket.write(head);
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(trickle[i++ % trickle.length] as string);
  }, everyMs);
  return new Promise((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(answer);
    }),
  );
}

const slowBody = () =>
  slowClient(
    'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n',
    '{',
    150,
  );

describe('slow clients are cut off (issue 16.1)', () => {
  it('a request body sent a byte at a time is answered 408 and closed; /health keeps answering meanwhile', async () => {
    const clients = Array.from({ length: 20 }, slowBody);
    // While they trickle, others are served.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/health`);
      expect(res.status).toBe(200);
    }
    const answers = await Promise.all(clients);
    for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 408/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('headers sent a byte at a time are cut off', async () => {
    const answer = await slowClient('GET /health HTTP/1.1\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n', 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('an idle keep-alive connection is closed', async () => {
    const socket = connect(server.port, '127.0.0.1');
    open.push(socket);
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString();
    });
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  });

  it('an open WebSocket is not a slow request: it outlives the request bound', async () => {
    const alice = await register(server.app, 'alice');
    const ws = await TestSocket.connect(server.wsUrl, alice.token);
    // Outlive the bound: wait until a slow body started after the socket opened has been cut off.
    expect(await slowBody()).toMatch(/^HTTP\/1\.1 408/);
    expect((await ws.request('ping')).type).toBe('pong');
    ws.close();
  });
});
