import type { ParleyApp } from '../../src/app.js';
import { register, rest } from './rest.js';
import type { TestServer } from './test-server.js';
import { TestSocket } from './test-socket.js';

/** A frame as TestSocket records it. */
export type Frame = Record<string, unknown> & { type: string };

export interface TestUser {
  id: string | number;
  token: string;
}

/** Sockets opened by a test, closed together in afterEach. */
export class SocketPool {
  private sockets: TestSocket[] = [];

  constructor(private readonly server: () => TestServer) {}

  /** Opens a socket with the token on the upgrade and waits for `hello`. */
  async connect(token: string, query = ''): Promise<TestSocket> {
    const url = query ? `${this.server().wsUrl}?${query}` : this.server().wsUrl;
    const socket = await TestSocket.connect(url, token);
    this.sockets.push(socket);
    return socket;
  }

  /** Opens a socket without a token (to authenticate with an `auth` frame). */
  async open(): Promise<TestSocket> {
    const socket = await TestSocket.open(this.server().wsUrl);
    this.sockets.push(socket);
    return socket;
  }

  /** Opens a socket, authenticates with an `auth` frame naming the device, and returns it with its `hello`. */
  async connectDevice(token: string, device: Record<string, unknown>): Promise<{ socket: TestSocket; hello: Frame }> {
    const socket = await this.open();
    const id = `auth-${device.id as string}`;
    const reply = socket.wait((f) => (f.type === 'hello' || f.type === 'error') && f.id === id);
    socket.send({ type: 'auth', id, token, device });
    const hello = await reply;
    if (hello.type !== 'hello') throw new Error(`auth refused: ${JSON.stringify(hello)}`);
    return { socket, hello };
  }

  closeAll(): void {
    for (const s of this.sockets.splice(0)) s.close();
  }
}

let roundTrips = 0;

/**
 * Resolves once the server answered a ping sent now. Frames reach a socket in the order the server queued them,
 * so everything the server queued to this socket before handling the ping has arrived by then: used to assert
 * that something was NOT sent without sleeping. (A ping does not count as user activity.)
 */
export async function roundTrip(socket: TestSocket): Promise<void> {
  const id = `rt-${++roundTrips}`;
  const pong = socket.wait((f) => f.type === 'pong' && f.id === id);
  socket.send({ type: 'ping', id });
  await pong;
}

/** Polls until the condition holds. */
export async function until(cond: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 5000) {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The error code of a REST refusal body `{ error: { code } }`. */
export function restErrorCode(body: unknown): string | undefined {
  return (body as { error?: { code?: string } } | null)?.error?.code;
}

/** Makes two users friends through the REST API. */
export async function makeFriends(app: ParleyApp, a: TestUser, b: TestUser): Promise<void> {
  const req = await rest(app, a.token).post('/v1/friends/requests', { user_id: b.id });
  if (req.status !== 201) throw new Error(`friend request: ${req.status} ${JSON.stringify(req.body)}`);
  const acc = await rest(app, b.token).post(`/v1/friends/requests/${a.id}/accept`);
  if (acc.status !== 204) throw new Error(`friend accept: ${acc.status} ${JSON.stringify(acc.body)}`);
}

/** Creates a private group of the owner and the members; returns its conversation id. */
export async function makeGroup(app: ParleyApp, owner: TestUser, members: TestUser[], name = 'Group') {
  const res = await rest(app, owner.token).post('/v1/groups', { name, member_ids: members.map((m) => m.id) });
  if (res.status !== 201) throw new Error(`create group: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { group: { conversation_id: string } }).group.conversation_id;
}

/** The message of a `msg.new` frame. */
export function messageOf(f: Frame): {
  id: string;
  seq: number;
  text: string;
  sender_id: unknown;
  conversation_id: string;
} {
  return f.message as { id: string; seq: number; text: string; sender_id: unknown; conversation_id: string };
}

/** Predicate: a `msg.new` of the conversation with this seq. */
export const isMessage = (conversationId: string, seq?: number) => (f: Frame) =>
  f.type === 'msg.new' &&
  messageOf(f).conversation_id === conversationId &&
  (seq === undefined || messageOf(f).seq === seq);

/** Sends `n` messages over REST (fast: no socket round trip) and returns the last seq. */
export async function sendMessages(
  app: ParleyApp,
  sender: TestUser,
  conversationId: string,
  n: number,
  prefix = 'm',
): Promise<number> {
  const api = rest(app, sender.token);
  let seq = 0;
  for (let i = 1; i <= n; i++) {
    const res = await api.post(`/v1/conversations/${conversationId}/messages`, {
      text: `${prefix}${i}`,
      client_msg_id: `${prefix}-${i}`,
    });
    if (res.status !== 201) throw new Error(`send ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    seq = (res.body as { message: { seq: number } }).message.seq;
  }
  return seq;
}

/** Calls the server-to-server API with the given headers (server key as Bearer or X-Parley-Server-Key). */
export async function serverCall(
  app: ParleyApp,
  method: 'POST' | 'PUT',
  url: string,
  payload: Record<string, unknown>,
  headers: Record<string, string>,
) {
  const res = await app.http.inject({ method, url, headers, payload });
  return { status: res.statusCode, body: res.body === '' ? null : (res.json() as Record<string, unknown>) };
}

/**
 * Sends `count` msg.send frames back to back without waiting for each ack (the server keeps their order), then
 * waits for every ack; returns the acked seqs in send order.
 */
export async function pipelineSend(
  socket: TestSocket,
  target: { conversation_id: string } | { to_user_id: unknown },
  count: number,
  tag: string,
): Promise<number[]> {
  const acks: Promise<Frame>[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `${tag}-${i}`;
    acks.push(socket.wait((f) => (f.type === 'result' || f.type === 'error') && f.id === id, 30_000));
    socket.send({ type: 'msg.send', id, ...target, text: `${tag} ${i}`, client_msg_id: id });
  }
  const replies = await Promise.all(acks);
  return replies.map((r) => {
    if (r.type !== 'result') throw new Error(`send refused: ${JSON.stringify(r)}`);
    return ((r.data as { message: { seq: number } }).message as { seq: number }).seq;
  });
}

/** Registers one standalone user per name, concurrently; the result has one user per name, in order. */
export async function registerUsers<const N extends readonly string[]>(
  app: ParleyApp,
  names: N,
): Promise<{ [K in keyof N]: TestUser & { refreshToken: string } }> {
  const users = await Promise.all(names.map((n) => register(app, n)));
  return users as unknown as { [K in keyof N]: TestUser & { refreshToken: string } };
}
