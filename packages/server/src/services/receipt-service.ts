import type { Bus } from '../cluster/bus.js';
import { AppError } from '../errors.js';
import type { PositionBatch } from '../storage/position-batch.js';
import type { ConversationRepo, MessageRepo, UserRepo } from '../storage/store.js';
import type { ConversationService } from './conversation-service.js';
import type { ReceiptAnnouncer } from './receipt-announcer.js';

export interface MemberPosition {
  userId: string;
  deliveredSeq: number;
  /** Null when the member turned read receipts off (their unread state is still tracked for themselves). */
  readSeq: number | null;
}

/**
 * Delivery and read positions: "delivered up to seq" (a device of the user confirmed receiving) and "read up to
 * seq", per user per conversation. Positions only move forward (U1). Guarantees:
 * - U2: a read on one device pushes the new unread counts to every device of that user;
 * - R5: a position change is pushed as a `receipt` to the members it concerns: in a DM the peer; in a group the
 *   senders of the messages it covers, so a 1,000-member group does not fan out every read to everyone;
 * - R6: a user with read receipts off shows others a delivered position but never a read position.
 */
export class ReceiptService {
  constructor(
    private readonly conversations: ConversationService,
    private readonly repo: ConversationRepo,
    private readonly messages: MessageRepo,
    private readonly users: UserRepo,
    private readonly bus: Bus,
    private readonly positionWrites: PositionBatch,
    private readonly announcer: ReceiptAnnouncer,
  ) {}

  async markRead(me: string, conversationId: string, seq: number) {
    await this.requireStarted(me, conversationId);
    const move = await this.positionWrites.advance({ conversationId, userId: me, readSeq: seq });
    // Announced as soon as it is stored: this ask may carry the move for others coalesced with it (a delivery
    // confirmed in the same batch gets no move of its own), so a failure below must not lose the receipt.
    this.announcer.moved(conversationId, me, move);
    const [unreadCount, totalUnread] = await Promise.all([
      this.repo.unreadCount(conversationId, me),
      this.repo.totalUnread(me),
    ]);
    const result = { conversationId, readSeq: move.read.after, unreadCount, totalUnread };
    this.bus.publish({ kind: 'deliver', to: [me], event: { type: 'read.updated', userId: me, ...result } });
    return result;
  }

  async markDelivered(me: string, conversationId: string, seq: number) {
    await this.requireStarted(me, conversationId);
    const move = await this.positionWrites.advance({ conversationId, userId: me, deliveredSeq: seq });
    this.announcer.moved(conversationId, me, move);
    return { conversationId, deliveredSeq: move.delivered.after };
  }

  /** Every member's positions (read positions hidden for members who turned receipts off). */
  async positions(me: string, conversationId: string): Promise<MemberPosition[]> {
    await this.requireStarted(me, conversationId);
    const members = await this.repo.listMembers(conversationId);
    const optedOut = await this.optedOut(members.map((m) => m.userId));
    return members.map((m) => ({
      userId: m.userId,
      deliveredSeq: m.deliveredSeq,
      readSeq: optedOut.has(m.userId) && m.userId !== me ? null : m.readSeq,
    }));
  }

  /** Who has read the message at `seq` ("read by N of M"): members other than its sender with read_seq >= seq. */
  async readers(me: string, conversationId: string, seq: number) {
    const positions = await this.positions(me, conversationId);
    const page = await this.messages.history(conversationId, { after: seq - 1, limit: 1 });
    const message = page.messages[0];
    if (!message || message.seq !== seq) throw new AppError('NOT_FOUND', 'No message with that seq');
    const others = positions.filter((p) => p.userId !== message.senderId);
    const readBy = others.filter((p) => p.readSeq !== null && p.readSeq >= seq).map((p) => p.userId);
    const deliveredTo = others.filter((p) => p.deliveredSeq >= seq).map((p) => p.userId);
    return { seq, readBy, deliveredTo, memberCount: others.length };
  }

  private async optedOut(userIds: string[]): Promise<Set<string>> {
    const users = await this.users.getUsers(userIds);
    return new Set(users.filter((u) => !u.readReceipts).map((u) => u.id));
  }

  private async requireStarted(me: string, conversationId: string): Promise<void> {
    if ((await this.conversations.requireReader(me, conversationId)) === 'dm-new') {
      throw new AppError('NOT_FOUND', 'No messages yet');
    }
  }
}
