import type { TokenService } from '../auth/token-service.js';
import type { Config } from '../config/config.js';
import type { Hub } from '../gateway/hub.js';
import type { Metrics } from '../ops/metrics.js';
import type { AuthService } from '../services/auth-service.js';
import type { ConversationService } from '../services/conversation-service.js';
import type { DeviceService } from '../services/device-service.js';
import type { NotificationService } from '../services/notification-service.js';
import type { ReceiptService } from '../services/receipt-service.js';
import type { GroupService } from '../services/group-service.js';
import type { MessageService } from '../services/message-service.js';
import type { PresenceService } from '../services/presence-service.js';
import type { SocialService } from '../services/social-service.js';
import type { UserService } from '../services/user-service.js';
import type { Store } from '../storage/store.js';

/** What route modules may use. */
export interface HttpContext {
  config: Config;
  store: Store;
  hub: Hub;
  metrics: Metrics;
  tokens: TokenService;
  auth: AuthService;
  users: UserService;
  social: SocialService;
  groups: GroupService;
  conversations: ConversationService;
  messages: MessageService;
  presence: PresenceService;
  receipts: ReceiptService;
  devices: DeviceService;
  notifications: NotificationService;
}
