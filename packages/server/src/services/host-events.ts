import type { MessageRecord } from '../storage/records.js';

/**
 * What the host application is told (by webhooks when configured). Implementations must not block the caller:
 * they queue and deliver with retries on their own.
 */
export interface HostEvents {
  readonly enabled: boolean;
  /** A message was stored for users with no connected device (so the host can send a mobile push). */
  messageForOfflineUsers(message: MessageRecord, userIds: string[]): void;
  userOnline(userId: string, at: number): void;
  userOffline(userId: string, at: number): void;
}

export const noHostEvents: HostEvents = {
  enabled: false,
  messageForOfflineUsers() {},
  userOnline() {},
  userOffline() {},
};
