import { ERROR_CODES, type ErrorCode } from '@parley/protocol';
import { expect } from 'vitest';
import { hostToken } from './host-token.js';
import { rest } from './rest.js';
import type { TestServer } from './test-server.js';
import { TestSocket } from './test-socket.js';

/** A frame as TestSocket records it. */
export type Frame = Record<string, unknown> & { type: string };

/** The frame types that answer a request: `result`/`error` for requests, `pong` for ping, `hello` for auth. */
const REPLY_TYPES = new Set(['result', 'error', 'pong', 'hello']);

export const isReplyTo =
  (id: string | number) =>
  (f: Frame): boolean =>
    REPLY_TYPES.has(f.type) && f.id === id;

/** Every reply received so far that carries this request id. */
export function repliesTo(socket: TestSocket, id: string | number): Frame[] {
  return socket.frames.filter(isReplyTo(id));
}

/** Sends a frame carrying `id` and resolves with its one reply (result, error, pong or hello). */
export function ask(socket: TestSocket, frame: Record<string, unknown> & { id: string | number }): Promise<Frame> {
  const reply = socket.wait(isReplyTo(frame.id));
  socket.send(frame);
  return reply;
}

/** Sends raw text (or an object) and resolves with the next error frame that carries no id. */
export function anonymousError(socket: TestSocket, frame: unknown): Promise<Frame> {
  const reply = socket.wait((f) => f.type === 'error' && !('id' in f));
  socket.send(frame);
  return reply;
}

let pingSeq = 0;

/** A ping with a fresh id; resolves with its pong (throws when the reply is not a pong). */
export async function ping(socket: TestSocket): Promise<Frame> {
  const id = `ping-${++pingSeq}`;
  const reply = await ask(socket, { type: 'ping', id });
  if (reply.type !== 'pong') throw new Error(`ping ${id} answered with ${JSON.stringify(reply)}`);
  return reply;
}

/** The close of a socket, or a rejection when it does not close in time. */
export function closedWithin(socket: TestSocket, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    socket.closed.then((c) => {
      clearTimeout(timer);
      resolve(c);
    }, reject);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A host-application user known to the server (created on first sight through an authenticated REST call). */
export async function hostUser(server: TestServer, id: string): Promise<{ id: string; token: string }> {
  const token = await hostToken({ sub: id, username: `user${id}` });
  const res = await rest(server.app, token).get('/v1/users/me');
  if (res.status !== 200) throw new Error(`host user ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id, token };
}

/** The documented shape of an error payload for `code`: a message, the registry's retryable flag, and extras. */
export function errorBody(code: ErrorCode, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { code, message: expect.any(String), retryable: ERROR_CODES[code].retryable, ...extra };
}

/**
 * Proves the server is still serving after a refusal: a real HTTP request to /health over the network, and a
 * fresh WebSocket that authenticates and answers a ping.
 */
export async function expectServing(server: TestServer, token: string): Promise<void> {
  const res = await fetch(`${server.url}/health`);
  if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
  const socket = await TestSocket.connect(server.wsUrl, token);
  try {
    await ping(socket);
  } finally {
    socket.close();
  }
}
