export { type BackoffOptions, backoffDelay } from './backoff.js';
export {
  type ClientEvents,
  ParleyClient,
  type ParleyClientOptions,
  type SendOptions,
  type SendTarget,
} from './client.js';
export type { ConnectionState, StateChange } from './connection-state.js';
export { ParleyError } from './errors.js';
export { IndexedDbOutboxStore } from './indexeddb-outbox-store.js';
export { MessageStore } from './message-store.js';
export { MemoryOutboxStore, type OutboxItem, type OutboxStore } from './outbox-store.js';
export { ChatState, type MessageStatus, type TimelineEntry } from './state.js';
export type { TokenSource } from './token.js';
export { TypingNotifier, type TypingNotifierOptions } from './typing-notifier.js';
