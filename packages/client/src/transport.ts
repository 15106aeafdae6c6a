/** The part of the WebSocket API the client uses: the browser's WebSocket and Node's `ws` both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

/** The browser's WebSocket (or any global one, e.g. Node 22+). */
export function globalWebSocketFactory(): WebSocketFactory {
  const WS = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (!WS) throw new Error('No global WebSocket: pass `WebSocket` (e.g. from the `ws` package) in the client options');
  return (url) => new WS(url);
}

export const OPEN = 1;
