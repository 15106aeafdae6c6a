import { WS_PATH } from '@parley/protocol';

/** The server that serves this page: REST and WebSocket are relative to it, so a sub-path behind a proxy works. */
export const apiBase = (): URL => new URL('./', window.location.href);

export function wsUrl(): string {
  const url = new URL(WS_PATH.slice(1), apiBase());
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}
