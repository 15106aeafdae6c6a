/**
 * idle -> connecting -> connected -> reconnecting -> connecting -> ... ; any -> disconnected (terminal close or
 * `disconnect()`); disconnected -> connecting only through `connect()`.
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Why: a close code and reason, or what the client decided. */
  reason?: string;
  code?: number;
  /** When reconnecting: the delay before the next attempt. */
  retryInMs?: number;
}
