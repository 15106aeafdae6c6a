import type { GroupService } from '../../services/group-service.js';
import type { MessageDeletionService } from '../../services/message-deletion-service.js';
import type { SocialService } from '../../services/social-service.js';
import type { Store } from '../../storage/store.js';
import type { GatewayContext } from '../context.js';

/** The store reads a seed dialect may make: no write is reachable from a codec (every change goes through a service). */
export type SeedLookups = Pick<Store, 'getMessage' | 'getConversation' | 'listUserConversations' | 'contactsOf'>;

/** What the seed dialects and their REST routes use: the gateway's services plus groups, friends and lookups. */
export interface SeedContext extends GatewayContext {
  groups: GroupService;
  social: SocialService;
  /** Read-only lookups (a message by id, a conversation's last seq); every change goes through a service. */
  store: SeedLookups;
  deletion: MessageDeletionService;
}
