import type { Bus } from '../cluster/bus.js';
import { AppError } from '../errors.js';
import type { MessageRecord } from '../storage/records.js';
import type { MessageRepo } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { ConversationService } from './conversation-service.js';

/**
 * Soft delete (seed 001's DELETE /api/messages/:id). Only the sender deletes a message; it keeps its place (id,
 * seq) and every reader sees it withheld (docs/compatibility.md). The deletion is a change of the conversation (C5):
 * it takes the conversation's next revision and is pushed as `message.updated` to every member's devices (those
 * offline get it in their next catch-up). Someone who cannot read the conversation is told it does not exist.
 */
export class MessageDeletionService {
  constructor(
    private readonly repo: MessageRepo,
    private readonly conversations: ConversationService,
    private readonly clock: Clock,
    private readonly bus: Bus,
  ) {}

  async softDelete(me: string, messageId: string): Promise<MessageRecord> {
    const message = await this.repo.getMessage(messageId);
    if (!message) throw new AppError('NOT_FOUND', 'No such message');
    if (message.senderId !== me) {
      await this.conversations.requireReader(me, message.conversationId).catch(() => {
        throw new AppError('NOT_FOUND', 'No such message');
      });
      throw new AppError('FORBIDDEN', 'Only the sender can delete a message');
    }
    const deleted = await this.repo.softDeleteMessage(messageId, this.clock());
    if (!deleted) throw new AppError('NOT_FOUND', 'No such message');
    if (deleted.rev !== message.rev) {
      // this call deleted it (a repeated delete changes nothing and announces nothing)
      const to = await this.conversations.recipients(deleted.conversationId);
      this.bus.publish({ kind: 'deliver', to, event: { type: 'message.updated', message: deleted } });
    }
    return deleted;
  }
}
