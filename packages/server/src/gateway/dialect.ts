import type { VerifiedToken } from '../auth/token-service.js';
import type { AppError } from '../errors.js';
import type { DomainEvent } from '../services/events.js';
import type { Connection } from './connection.js';

/**
 * One client protocol spoken on one WebSocket path: a thin codec over the shared services.
 * The canonical protocol is one dialect; each seed's protocol is another.
 */
export interface Dialect {
  readonly name: string;
  /** Its clients authenticate only on the upgrade: an upgrade without a token is refused at once (`refused`). */
  readonly tokenOnUpgrade?: boolean;
  /** Its clients hear every user's presence changes, not only their contacts' (P1); a deployment's choice. */
  readonly hearsAllPresence?: boolean;
  /** C4: live events wait from the moment a connection is bound until the dialect lets them through. */
  readonly holdsLiveEventsAtStart?: boolean;
  /** Renders a domain event for this dialect's clients, or null when they have no such event. Called once per event. */
  encode(event: DomainEvent): string | null;
  /**
   * Renders an event whose frame depends on who receives it (e.g. only the statuses of the recipient's own
   * messages), or null when that user has no such event; undefined when every recipient gets `encode`'s frame.
   */
  encodeFor?(event: DomainEvent, userId: string): string | null | undefined;
  /**
   * The socket is open and authenticated with the token that came with the upgrade. The connection's frames
   * are handled only once the returned promise (if any) settles.
   */
  authenticated(conn: Connection, token: VerifiedToken, requestId?: string): void | Promise<void>;
  /** The token that came with the upgrade was refused: tell the client in this dialect's words, then close. */
  refused(conn: Connection, error: AppError): void;
  /** Handles one text frame. The frames of one connection are handled one after another. */
  frame(conn: Connection, text: string): Promise<void>;
  /** The connection is gone (it already left the hub): forget what was kept for it. */
  closed?(conn: Connection): void;
}
