import { AppError } from '../errors.js';
import type { MessageRecord } from '../storage/records.js';
import type { MessageRepo } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { ConversationService } from './conversation-service.js';

/**
 * Soft delete (seed 001's DELETE /api/messages/:id). Only the sender deletes a message; it keeps its place (id,
 * seq) and every reader sees it withheld (docs/compatibility.md). Nothing is pushed live: clients see it on their
 * next history read. Someone who cannot read the conversation is told the message does not exist.
 */
export class MessageDeletionService {
  constructor(
    private readonly repo: MessageRepo,
    private readonly conversations: ConversationService,
    private readonly clock: Clock,
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
    return deleted;
  }
}
