import type { TokenService } from '../auth/token-service.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Clock } from '../services/clock.js';
import type { ConversationService } from '../services/conversation-service.js';
import type { DeviceService } from '../services/device-service.js';
import type { NotificationService } from '../services/notification-service.js';
import type { ReceiptService } from '../services/receipt-service.js';
import type { SyncService } from '../services/sync-service.js';
import type { TypingService } from '../services/typing-service.js';
import type { MessageService } from '../services/message-service.js';
import type { PresenceService } from '../services/presence-service.js';
import type { RateLimiter } from '../services/rate-limiter.js';
import type { UserService } from '../services/user-service.js';
import type { Hub } from './hub.js';
import type { PendingReplies } from './pending-replies.js';
import type { Sessions } from './sessions.js';

/** What a dialect may use: the shared services and the node's connection machinery. */
export interface GatewayContext {
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  hub: Hub;
  sessions: Sessions;
  tokens: TokenService;
  users: UserService;
  messages: MessageService;
  conversations: ConversationService;
  presence: PresenceService;
  receipts: ReceiptService;
  typing: TypingService;
  devices: DeviceService;
  notifications: NotificationService;
  sync: SyncService;
  /** Per-connection frame rate. */
  frameRate: RateLimiter;
  /** Replies still to be written after their frame was handled (acks of sends being stored). */
  replies: PendingReplies;
}
