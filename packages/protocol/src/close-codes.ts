/**
 * WebSocket close codes. The range tells a client what to do:
 * 3000–3499: reconnect (with backoff), then resume; 3500–3999: terminal, do not reconnect without user action.
 * 1009 (standard) is sent by the server for a frame larger than the frame limit; a client may reconnect.
 */
export const CLOSE_CODES = {
  /** The server is shutting down or restarting; reconnect (to it or another node) and resume. */
  SERVER_RESTARTING: 3000,
  /** No frame or pong arrived within the heartbeat timeout. */
  HEARTBEAT_TIMEOUT: 3001,
  /** The client read too slowly and its send buffer overflowed; reconnect and catch up from history. */
  SLOW_CONSUMER: 3002,
  /** The token could not be checked now (identity provider unreachable, store down); reconnect with backoff. */
  TRY_AGAIN_LATER: 3004,
  /** The account already has as many connections as allowed (TOO_MANY_CONNECTIONS); reconnect with backoff. */
  TOO_MANY_CONNECTIONS: 3005,
  /** The token is missing, malformed or forged. */
  AUTH_FAILED: 3500,
  /**
   * The token expired (at connect, or while connected without a refreshing `auth` frame). Terminal for that token:
   * reconnect only with a fresh one from the token provider.
   */
  TOKEN_EXPIRED: 3501,
  /** No auth frame arrived within the auth timeout. */
  AUTH_TIMEOUT: 3502,
  /** This device was revoked by its user. */
  DEVICE_REVOKED: 3503,
  /** The account has as many devices as allowed and this one is new (TOO_MANY_DEVICES): revoke one first. */
  TOO_MANY_DEVICES: 3504,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** True when a client should reconnect after this close code. */
export function shouldReconnect(code: number): boolean {
  return code < 3500 || code > 3999;
}
