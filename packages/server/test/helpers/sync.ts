import type { TestSocket } from './test-socket.js';

let barrierSeq = 0;

/**
 * A round trip on one socket: resolves once the server has answered a ping sent now. Frames reach a socket in the
 * order the server queued them, so every frame the server queued to this socket before handling the ping has
 * arrived by then. Used to assert that a frame was NOT sent, without sleeping.
 */
export async function barrier(socket: TestSocket): Promise<void> {
  const id = `barrier-${++barrierSeq}`;
  const pong = socket.wait((f) => f.type === 'pong' && f.id === id);
  socket.send({ type: 'ping', id });
  await pong;
}

/** Polls until the condition holds (for state the server changes after a socket closes). */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 5000,
): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Waits until the wall clock has moved past the current millisecond, so the next thing the server timestamps is
 * strictly later than everything before (the server orders by millisecond timestamps).
 */
export async function nextMillisecond(): Promise<void> {
  const t0 = Date.now();
  await waitFor(() => Date.now() > t0 + 1, 'clock advance');
}

/** Sends a sync request; resolves with its result and the index of the result frame among the socket's frames. */
export async function syncRequest<T>(
  s: TestSocket,
  payload: Record<string, unknown>,
): Promise<{ result: T; at: number }> {
  const reply = await s.request('sync', payload);
  if (reply.type !== 'result') throw new Error(`sync refused: ${JSON.stringify(reply)}`);
  return { result: reply.data as T, at: s.frames.indexOf(reply) };
}
