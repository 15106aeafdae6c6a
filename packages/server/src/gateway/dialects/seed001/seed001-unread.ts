import { parseConversationId } from '@parley/protocol';
import type { SeedContext } from '../seed-context.js';

/**
 * Seed 001's chat unread count: the unread messages of the user's direct conversations (the seed's unread CHAT
 * rows). Group messages are not the seed's (it has no groups) and system notifications are counted apart, so the
 * `mark_read` acknowledgement's `totalUnread` and `GET /api/messages/unread/count`'s `chat` are this one number.
 */
export async function chatUnread(ctx: SeedContext, userId: string): Promise<number> {
  const { conversations } = await ctx.conversations.list(userId);
  return conversations
    .filter((c) => parseConversationId(c.conversation.id)?.kind === 'dm')
    .reduce((n, c) => n + c.unreadCount, 0);
}
