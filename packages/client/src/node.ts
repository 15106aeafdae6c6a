import WebSocket from 'ws';
import { ParleyClient, type ParleyClientOptions } from './client.js';

export * from './index.js';

/** A client for Node, on the `ws` package (Node 20 has no global WebSocket). */
export function createNodeClient(options: Omit<ParleyClientOptions, 'WebSocket'>): ParleyClient {
  return new ParleyClient({ ...options, WebSocket: WebSocket as unknown as ParleyClientOptions['WebSocket'] });
}
