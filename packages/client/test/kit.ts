import { WS_PATH } from '@parley/protocol';
import WebSocket from 'ws';
import { ParleyClient, type ParleyClientOptions } from '../src/index.js';

export { ChaosProxy, seededRandom } from '../../server/test/helpers/chaos-proxy.js';
export { hostToken } from '../../server/test/helpers/host-token.js';
export { rest } from '../../server/test/helpers/rest.js';
export { startServer, type TestServer } from '../../server/test/helpers/test-server.js';

export const wsUrl = (port: number) => `ws://127.0.0.1:${port}${WS_PATH}`;

/** An SDK client on Node's `ws`, with quick backoff for tests. */
export function client(options: Omit<ParleyClientOptions, 'WebSocket'>): ParleyClient {
  return new ParleyClient({
    backoff: { baseMs: 20, capMs: 200 },
    ...options,
    WebSocket: WebSocket as unknown as ParleyClientOptions['WebSocket'],
  });
}

export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every text the client emitted through `message`, in emission order, per conversation. */
export function recorder(c: ParleyClient) {
  const seen: { conversation: string; seq: number; text: string; id: string }[] = [];
  c.on('message', (m) => seen.push({ conversation: m.conversation_id, seq: m.seq, text: m.text, id: m.id }));
  return seen;
}
