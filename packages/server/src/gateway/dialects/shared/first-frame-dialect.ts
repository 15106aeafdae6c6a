import type { AppError } from '../../../errors.js';
import type { Connection } from '../../connection.js';
import type { GatewayContext } from '../../context.js';
import type { Dialect } from '../../dialect.js';
import { closeCodeFor } from './close-code.js';

/**
 * One WebSocket path shared by several protocols (/ws: seeds 000 and 004). The connection opens on this dialect;
 * its first frame names the protocol, and the connection is handed to that dialect for good (it then encodes
 * the connection's events and handles every frame, the first included).
 */
export class FirstFrameDialect implements Dialect {
  constructor(
    readonly name: string,
    private readonly ctx: GatewayContext,
    private readonly pick: (firstFrame: string) => Dialect,
  ) {}

  /** Nothing is pushed to a connection that has not said which protocol it speaks. */
  encode(): null {
    return null;
  }

  /** A token on the upgrade: the connection is attached; its first frame still picks the protocol. */
  authenticated(): void {}

  refused(conn: Connection, error: AppError): void {
    this.ctx.sessions.close(conn, closeCodeFor(error), error.code);
  }

  frame(conn: Connection, text: string): Promise<void> {
    if (conn.dialect === this) conn.dialect = this.pick(text);
    return conn.dialect.frame(conn, text);
  }
}
