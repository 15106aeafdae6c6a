import { groupConversationId } from '@parley/protocol';
import type { Bus } from '../cluster/bus.js';
import { AppError } from '../errors.js';
import type { ConversationRecord, MemberRecord, MemberRole } from '../storage/records.js';
import type { ConversationRepo } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { ConversationService } from './conversation-service.js';
import type { MembershipCache } from './membership-cache.js';
import type { SocialService } from './social-service.js';
import type { UserService } from './user-service.js';

export interface GroupInput {
  name: string;
  description?: string;
  avatarUrl?: string | null;
  visibility?: 'public' | 'private';
  memberIds?: string[];
}

export interface GroupView {
  conversation: ConversationRecord;
  memberCount: number;
  myRole: MemberRole | null;
}

const RANK: Record<MemberRole, number> = { owner: 3, admin: 2, member: 1 };

/**
 * Groups and their members. Roles: the owner manages everything; admins edit the group and add or remove members;
 * members chat. Public groups can be joined by anyone; private ones only by being added.
 * Every membership change and every edit of the group is pushed to its members; membership changes also drop
 * the membership cache on every node.
 */
export class GroupService {
  constructor(
    private readonly repo: ConversationRepo,
    private readonly users: UserService,
    private readonly membership: MembershipCache,
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly conversations: ConversationService,
    private readonly social: SocialService,
  ) {}

  /**
   * Being put in a group is being reached: `me` may add only users they could message directly (BLOCKED,
   * NOT_FRIENDS under the friends-only policy), and nobody joins a group with someone they blocked or are
   * blocked by (BLOCKED), whoever adds them.
   */
  private async admit(me: string, joining: readonly string[], membersAfter: readonly string[]): Promise<void> {
    for (const user of joining) {
      await this.conversations.requireReachable(me, user);
      const blocked = await this.social.blockedEitherWay(user);
      if (membersAfter.some((m) => m !== user && blocked.has(m))) {
        throw new AppError('BLOCKED', 'A user you are adding has blocked, or is blocked by, a member of the group');
      }
    }
  }

  async create(me: string, input: GroupInput): Promise<GroupView> {
    const memberIds = [...new Set(input.memberIds ?? [])].filter((id) => id !== me);
    await this.requireUsers(memberIds);
    await this.admit(me, memberIds, [me, ...memberIds]);
    const conversation = await this.repo.createGroup(
      {
        name: input.name,
        description: input.description ?? '',
        avatarUrl: input.avatarUrl ?? null,
        visibility: input.visibility ?? 'private',
      },
      me,
      memberIds,
      this.clock(),
    );
    const all = [me, ...memberIds];
    this.membership.invalidate(conversation.id);
    this.bus.publish({ kind: 'members-changed', conversationId: conversation.id });
    // The members a group starts with are its initial state (revision 0), not changes: each is told of its own
    // addition only, so creating a group of N costs N events, not N² (the member list is one read away).
    for (const userId of all) {
      this.publishMember(conversation.id, userId, 'added', userId === me ? 'owner' : 'member', [userId], 0);
    }
    return { conversation, memberCount: all.length, myRole: 'owner' };
  }

  async get(me: string, groupId: number): Promise<GroupView> {
    const conversation = await this.conversation(groupId);
    const member = await this.repo.getMember(conversation.id, me);
    if (!member && conversation.visibility !== 'public') throw new AppError('NOT_MEMBER');
    return { conversation, memberCount: await this.repo.memberCount(conversation.id), myRole: member?.role ?? null };
  }

  async update(
    me: string,
    groupId: number,
    patch: { name?: string; description?: string; avatarUrl?: string | null; visibility?: 'public' | 'private' },
  ): Promise<GroupView> {
    const conversation = await this.conversation(groupId);
    await this.requireRole(conversation.id, me, 'admin');
    const updated = (await this.repo.updateGroup(conversation.id, patch, this.clock())) as ConversationRecord;
    const members = await this.repo.listMembers(conversation.id);
    this.bus.publish({
      kind: 'deliver',
      to: members.map((m) => m.userId),
      event: { type: 'group.updated', conversation: updated, memberCount: members.length },
    });
    return {
      conversation: updated,
      memberCount: members.length,
      myRole: members.find((m) => m.userId === me)?.role ?? null,
    };
  }

  async members(me: string, groupId: number): Promise<MemberRecord[]> {
    await this.get(me, groupId);
    return this.repo.listMembers(groupConversationId(groupId));
  }

  async addMembers(me: string, groupId: number, userIds: string[]): Promise<string[]> {
    const conversation = await this.conversation(groupId);
    await this.requireRole(conversation.id, me, 'admin');
    await this.requireUsers(userIds);
    const current = (await this.repo.listMembers(conversation.id)).map((m) => m.userId);
    const joining = [...new Set(userIds)].filter((u) => !current.includes(u));
    await this.admit(me, joining, [...current, ...joining]);
    const added = await this.repo.addMembers(conversation.id, [...new Set(userIds)], 'member', this.clock());
    if (added.length > 0) {
      const audience = await this.repo.listMembers(conversation.id);
      this.membershipChanged(
        conversation.id,
        added,
        audience.map((m) => m.userId),
        'added',
      );
    }
    return added.map((a) => a.userId);
  }

  /** Removes a member (admins: plain members only; the owner: anyone but themself). Removing yourself is leaving. */
  async removeMember(me: string, groupId: number, userId: string): Promise<void> {
    if (userId === me) return this.leave(me, groupId);
    const conversation = await this.conversation(groupId);
    const mine = await this.requireRole(conversation.id, me, 'admin');
    const target = await this.repo.getMember(conversation.id, userId);
    if (!target) throw new AppError('NOT_FOUND', 'That user is not a member');
    if (RANK[target.role] >= RANK[mine.role])
      throw new AppError('FORBIDDEN', 'You cannot remove a member of equal or higher role');
    await this.remove(conversation.id, userId);
  }

  /** Sets a member's role (owner only). Making someone owner transfers ownership; the old owner becomes admin. */
  async setRole(me: string, groupId: number, userId: string, role: MemberRole): Promise<void> {
    const conversation = await this.conversation(groupId);
    await this.requireRole(conversation.id, me, 'owner');
    if (userId === me) throw new AppError('FORBIDDEN', 'Transfer ownership by making another member owner');
    const rev = await this.repo.setRole(conversation.id, userId, role, this.clock());
    if (rev === null) throw new AppError('NOT_FOUND', 'That user is not a member');
    const audience = (await this.repo.listMembers(conversation.id)).map((m) => m.userId);
    this.publishMember(conversation.id, userId, 'role', role, audience, rev);
    if (role === 'owner') {
      const mine = await this.repo.setRole(conversation.id, me, 'admin', this.clock());
      if (mine !== null) this.publishMember(conversation.id, me, 'role', 'admin', audience, mine);
    }
  }

  async join(me: string, groupId: number): Promise<GroupView> {
    const conversation = await this.conversation(groupId);
    if (!(await this.repo.getMember(conversation.id, me))) {
      if (conversation.visibility !== 'public')
        throw new AppError('FORBIDDEN', 'This group is private; ask an admin to add you');
      const added = await this.repo.addMembers(conversation.id, [me], 'member', this.clock());
      const audience = (await this.repo.listMembers(conversation.id)).map((m) => m.userId);
      this.membershipChanged(conversation.id, added, audience, 'added');
    }
    return this.get(me, groupId);
  }

  /** Leaves the group. An owner who leaves hands ownership to the longest-standing admin, else member. */
  async leave(me: string, groupId: number): Promise<void> {
    const conversation = await this.conversation(groupId);
    const mine = await this.repo.getMember(conversation.id, me);
    if (!mine) throw new AppError('NOT_MEMBER');
    await this.remove(conversation.id, me);
    if (mine.role === 'owner') {
      const rest = await this.repo.listMembers(conversation.id);
      const heir = rest.find((m) => m.role === 'admin') ?? rest[0];
      if (heir) {
        const rev = await this.repo.setRole(conversation.id, heir.userId, 'owner', this.clock());
        if (rev !== null) {
          this.publishMember(
            conversation.id,
            heir.userId,
            'role',
            'owner',
            rest.map((m) => m.userId),
            rev,
          );
        }
      }
    }
  }

  async listMine(me: string): Promise<GroupView[]> {
    const rows = await this.repo.listUserConversations(me);
    return rows
      .filter((r) => r.conversation.kind === 'group')
      .map((r) => ({ conversation: r.conversation, memberCount: r.memberCount, myRole: r.member.role }));
  }

  private async remove(conversationId: string, userId: string): Promise<void> {
    const before = (await this.repo.listMembers(conversationId)).map((m) => m.userId);
    const rev = await this.repo.removeMember(conversationId, userId, this.clock());
    if (rev !== null) this.membershipChanged(conversationId, [{ userId, rev }], before, 'removed');
  }

  private async conversation(groupId: number): Promise<ConversationRecord> {
    const c = await this.repo.getConversation(groupConversationId(groupId));
    if (!c) throw new AppError('NOT_FOUND', 'No such group');
    return c;
  }

  private async requireRole(conversationId: string, me: string, least: MemberRole): Promise<MemberRecord> {
    const member = await this.repo.getMember(conversationId, me);
    if (!member) throw new AppError('NOT_MEMBER');
    if (RANK[member.role] < RANK[least]) throw new AppError('FORBIDDEN', `Only a group ${least} can do this`);
    return member;
  }

  private async requireUsers(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = new Set((await this.users.getMany(ids)).map((u) => u.id));
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw new AppError('NOT_FOUND', `No such user: ${missing}`, { field: 'user_ids' });
  }

  private membershipChanged(
    conversationId: string,
    changed: { userId: string; rev: number }[],
    audience: string[],
    change: 'added' | 'removed',
  ) {
    this.membership.invalidate(conversationId);
    this.bus.publish({ kind: 'members-changed', conversationId });
    for (const { userId, rev } of changed) {
      const role = change === 'removed' ? null : 'member';
      this.publishMember(conversationId, userId, change, role, audience, rev);
    }
  }

  private publishMember(
    conversationId: string,
    userId: string,
    change: 'added' | 'removed' | 'role',
    role: string | null,
    audience: string[],
    rev: number,
  ) {
    this.bus.publish({
      kind: 'deliver',
      to: audience,
      event: { type: 'member.changed', conversationId, userId, change, role, rev },
    });
  }
}
