import type { AppError } from '../../../errors.js';
import type { Connection } from '../../connection.js';
import type { Dialect } from '../../dialect.js';

export type Ack = (response: unknown) => void;

/** A dialect spoken over Socket.IO: named events with a payload and, when the client asks, an acknowledgement. */
export interface SocketIoDialect extends Dialect {
  /** Whether this dialect serves a connection: by the handshake's verified token (seed 001) or its absence (002). */
  readonly needsHandshakeToken: boolean;
  /** The socket is connected and, for dialects that authenticate in the handshake, attached to its user. */
  opened(conn: Connection): void;
  /** One event from the client; the events of one connection are handled one after another. */
  event(conn: Connection, name: string, payload: unknown, ack: Ack | null): Promise<void>;
}

/**
 * The answer to a request: the acknowledgement when the client asked for one, else an event named
 * `<request>_response` (clients that only `emit`, like seed 002's Python client, may listen for it).
 */
export function respond(
  write: (conn: Connection, text: string) => void,
  conn: Connection,
  request: string,
  ack: Ack | null,
  response: unknown,
): void {
  if (ack) ack(response);
  else write(conn, JSON.stringify([`${request}_response`, response]));
}

/** A refusal in the Socket.IO seeds' shape. */
export function failure(error: AppError): { success: false; code: string; message: string } {
  return { success: false, code: error.code, message: error.message };
}
