import type { Connection } from './connection.js';
import type { Hub } from './hub.js';

/**
 * The most a catch-up adds to a connection's unsent data at once, and the unsent data it waits for before adding
 * more (C3): a quarter of PARLEY_SEND_BUFFER_BYTES each, so a catch-up alone stays under half the send buffer
 * (plus at most one frame when a single frame is larger than a piece).
 */
export function catchUpPieceBytes(sendBufferBytes: number): number {
  return Math.floor(sendBufferBytes / 4);
}

/**
 * Writes a long run of frames to one connection in pieces the socket can take (C3): each piece holds at most
 * `pieceBytes` (or one frame) and is written only once at most `pieceBytes` are unsent on the connection. However
 * far behind a device is, its catch-up never makes it a slow consumer; a reader that stops reading stops it.
 */
export class PacedWriter {
  private pieceBytes = 0;
  private pieceOpen = false;

  constructor(
    private readonly hub: Hub,
    private readonly conn: Connection,
    private readonly budget: number,
  ) {}

  /** Queues one frame, in order; false once the connection is closed (stop writing). */
  async write(frame: string): Promise<boolean> {
    const bytes = Buffer.byteLength(frame);
    if (!this.pieceOpen || this.pieceBytes + bytes > this.budget) {
      if (!(await this.hub.drained(this.conn, this.budget))) return false;
      this.pieceOpen = true;
      this.pieceBytes = 0;
    }
    if (this.conn.closed) return false;
    this.hub.write(this.conn, frame);
    this.pieceBytes += bytes;
    return true;
  }
}
