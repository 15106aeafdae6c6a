import type { Connection } from './connection.js';

/**
 * Read backpressure: a client that pipelines requests faster than the server answers them (sends awaiting their
 * ack) stops being read once `window` are unanswered, and is read again when half are answered; TCP holds the
 * client back meanwhile. An overloaded server then spends its time finishing what it accepted, not parsing more
 * (ack latency stays bounded by the window instead of growing with the backlog). Call when a request is accepted;
 * call the returned function once, when its reply is written.
 */
export function awaitingReply(conn: Connection, window: number): () => void {
  conn.unanswered++;
  if (!conn.readPaused && conn.unanswered >= window) {
    conn.readPaused = true;
    conn.transport.pause?.();
  }
  return () => {
    conn.unanswered--;
    if (conn.readPaused && conn.unanswered <= Math.floor(window / 2)) {
      conn.readPaused = false;
      conn.transport.resume?.();
      for (const open of conn.windowWaiters.splice(0)) open();
    }
  };
}

/**
 * Resolves when the connection may handle its next frame: at once unless the window is full. Frames the socket
 * delivered before it was paused wait here, in order (the frames of a connection are handled one after another).
 */
export function windowOpen(conn: Connection): Promise<void> | undefined {
  if (!conn.readPaused || conn.closed) return undefined;
  return new Promise((resolve) => conn.windowWaiters.push(resolve));
}
