import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Connection } from '../../packages/server/src/gateway/connection.js';
import { Hub } from '../../packages/server/src/gateway/hub.js';
import { WsGateway } from '../../packages/server/src/gateway/ws-gateway.js';
import { textFrame, WsTransport } from '../../packages/server/src/gateway/ws-transport.js';
import { GroupCommit } from '../../packages/server/src/storage/group-commit.js';
import { VARIANTS } from './variants.js';

/** The patches behind each variant in variants.ts: the code as it was before the technique. */
const PATCHES: Record<string, () => void> = {
  'ws-send'() {
    WsTransport.prototype.write = function (this: WsTransport, frames: readonly (string | Buffer)[]) {
      const ws = (this as unknown as { ws: WebSocket }).ws;
      if (ws.readyState !== 1) return;
      const socket = (ws as unknown as { _socket?: Socket })._socket;
      socket?.cork();
      for (const frame of frames) ws.send(frame, { binary: false });
      socket?.uncork();
    };
  },
  writev() {
    const framed = new WeakMap<Buffer, Buffer>();
    WsTransport.prototype.write = function (this: WsTransport, frames: readonly (string | Buffer)[]) {
      const socket = (this as unknown as { socket: Socket }).socket;
      if (!this.open) return;
      socket.cork();
      for (const frame of frames) {
        let out = typeof frame === 'string' ? textFrame(frame) : framed.get(frame);
        if (out === undefined) {
          out = textFrame(frame);
          framed.set(frame as Buffer, out);
        }
        socket.write(out);
      }
      socket.uncork();
    };
  },
  'commit-every-turn'() {
    (GroupCommit.prototype as unknown as { delay: () => number }).delay = () => 0;
  },
  'upgrade-closure'() {
    const original = WsGateway.prototype.handleUpgrade;
    WsGateway.prototype.handleUpgrade = function (this: WsGateway, req: IncomingMessage, socket: Duplex, head: Buffer) {
      // As before: an error listener closing over the upgrade's scope, alive as long as the socket.
      const url = new URL(req.url ?? '/', 'http://localhost');
      socket.on('error', () => {
        if (url && req && head) socket.destroy();
      });
      original.call(this, req, socket, head);
    };
  },
  'per-frame-writes'() {
    Hub.prototype.write = function (this: Hub, conn: Connection, frame: string | Buffer) {
      if (conn.closed || !conn.transport.open) return;
      const limit = (this as unknown as { sendBufferBytes: number }).sendBufferBytes;
      if (conn.transport.bufferedAmount + frame.length > limit) {
        (this as unknown as { onSlowConsumer: (c: Connection) => void }).onSlowConsumer(conn);
        return;
      }
      conn.transport.write([frame]);
    };
  },
};

export function applyVariant(name: string): void {
  if (name === '') return;
  const patch = PATCHES[name];
  if (!patch || !VARIANTS[name]) throw new Error(`unknown bench variant "${name}"`);
  patch();
}
