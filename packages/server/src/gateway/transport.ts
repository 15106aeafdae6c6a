/**
 * How a connection's frames reach the client: a raw WebSocket, or a Socket.IO socket for the seeds that speak
 * Socket.IO. The hub and sessions only ever use this.
 */
export interface Transport {
  readonly open: boolean;
  /** Bytes accepted but not yet sent (for slow-consumer detection). */
  readonly bufferedAmount: number;
  /** Writes frames in order; a transport may write them together (one syscall). */
  write(frames: readonly (string | Buffer)[]): void;
  /** Closes with a code and reason after writing what was already given to it. */
  close(code: number, reason: string): void;
  /** A protocol-level ping (answered by browsers and libraries without application code). */
  ping(): void;
  /** Stops / restarts reading the client's frames (TCP then holds the client back); optional for a transport. */
  pause?(): void;
  resume?(): void;
}
