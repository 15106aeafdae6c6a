import { dmConversationId, parseConversationId } from '@parley/protocol';
import type { DmPolicy } from '../config/config.js';
import { AppError } from '../errors.js';
import type { UserConversationRow, UserRecord } from '../storage/records.js';
import type { ConversationRepo } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { MembershipCache } from './membership-cache.js';
import type { PresenceService, PresenceView } from './presence-service.js';
import type { SocialService } from './social-service.js';
import type { UserService } from './user-service.js';

export interface ConversationView extends UserConversationRow {
  peer: UserRecord | null;
  peerPresence: PresenceView | null;
}

/**
 * Who may read and write which conversation, the conversation list, and read positions.
 * Direct conversations exist implicitly between any two users and are created on first use; the DM policy
 * (`open` or `friends`) and blocks are checked on every send, membership on every read and send.
 */
export class ConversationService {
  constructor(
    private readonly repo: ConversationRepo,
    private readonly users: UserService,
    private readonly social: SocialService,
    private readonly presence: PresenceService,
    private readonly membership: MembershipCache,
    private readonly clock: Clock,
    private readonly dmPolicy: DmPolicy,
  ) {}

  /** The conversation `me` may send to: checks membership, or for a DM the peer, blocks and the DM policy. */
  async resolveForSend(me: string, target: { conversationId?: string; toUserId?: string }): Promise<string> {
    if (target.toUserId !== undefined) return this.openDm(me, target.toUserId);
    const id = target.conversationId as string;
    const parsed = parseConversationId(id);
    if (!parsed) throw new AppError('NOT_FOUND', 'No such conversation');
    if (parsed.kind === 'dm') {
      const [a, b] = parsed.users;
      if (me !== a && me !== b) throw new AppError('NOT_MEMBER');
      return this.openDm(me, me === a ? b : a);
    }
    await this.requireGroupMember(me, id);
    return id;
  }

  /** Opens (creating if needed) the direct conversation with `other`, enforcing blocks and the DM policy. */
  async openDm(me: string, other: string): Promise<string> {
    if (other === me) throw new AppError('VALIDATION_FAILED', 'You cannot message yourself', { field: 'to_user_id' });
    const id = dmConversationId(me, other);
    // Remembered once passed: SocialService announces every block and friendship change as members-changed.
    await this.membership.dmOpen(id, async () => {
      if (!(await this.users.exists(other))) throw new AppError('NOT_FOUND', 'No such user');
      if (await this.social.isBlockedEitherWay(me, other)) throw new AppError('BLOCKED');
      if (this.dmPolicy === 'friends' && !(await this.social.areFriends(me, other))) throw new AppError('NOT_FRIENDS');
      await this.repo.ensureDm(id, me, other, this.clock());
    });
    return id;
  }

  /**
   * Refuses (BLOCKED, NOT_FRIENDS) unless `me` may reach `other` directly: the same rule as opening a DM, for
   * what reaches a user without a message (typing) and for being put in a group by someone.
   */
  async requireReachable(me: string, other: string): Promise<void> {
    if (await this.social.isBlockedEitherWay(me, other)) throw new AppError('BLOCKED');
    if (this.dmPolicy === 'friends' && !(await this.social.areFriends(me, other))) throw new AppError('NOT_FRIENDS');
  }

  /** Refuses unless `me` may read the conversation. A DM not yet started reads as empty for its two users. */
  async requireReader(me: string, conversationId: string): Promise<'dm-new' | 'ok'> {
    const parsed = parseConversationId(conversationId);
    if (!parsed) throw new AppError('NOT_FOUND', 'No such conversation');
    if (parsed.kind === 'dm') {
      if (!parsed.users.includes(me)) throw new AppError('NOT_MEMBER');
      const started = await this.membership.dmStarted(
        conversationId,
        async () => (await this.repo.getConversation(conversationId)) !== null,
      );
      return started ? 'ok' : 'dm-new';
    }
    await this.requireGroupMember(me, conversationId);
    return 'ok';
  }

  /** Everyone who receives the conversation's events (cached; dropped on membership change). */
  recipients(conversationId: string): Promise<string[]> {
    return this.membership.members(conversationId);
  }

  async list(me: string): Promise<{ conversations: ConversationView[]; totalUnread: number }> {
    const rows = await this.repo.listUserConversations(me);
    const peerIds = rows.flatMap((r) => {
      const p = parseConversationId(r.conversation.id);
      return p?.kind === 'dm' ? [p.users[0] === me ? p.users[1] : p.users[0]] : [];
    });
    const [peers, presence] = await Promise.all([this.users.getMany(peerIds), this.presence.query(peerIds)]);
    const peerById = new Map(peers.map((u) => [u.id, u]));
    const presenceById = new Map(presence.map((p) => [p.userId, p]));
    let totalUnread = 0;
    const conversations = rows.map((r) => {
      totalUnread += r.unreadCount;
      const p = parseConversationId(r.conversation.id);
      const peerId = p?.kind === 'dm' ? (p.users[0] === me ? p.users[1] : p.users[0]) : null;
      return {
        ...r,
        peer: peerId === null ? null : (peerById.get(peerId) ?? null),
        peerPresence: peerId === null ? null : (presenceById.get(peerId) ?? null),
      };
    });
    return { conversations, totalUnread };
  }

  private async requireGroupMember(me: string, conversationId: string): Promise<void> {
    const members = await this.membership.members(conversationId);
    if (members.includes(me)) return;
    if (!(await this.repo.getConversation(conversationId))) throw new AppError('NOT_FOUND', 'No such conversation');
    throw new AppError('NOT_MEMBER');
  }
}
