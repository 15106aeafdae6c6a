import type { GroupRole, MemberEvent, WireGroupMember, WireUserId } from '@parley/protocol';
import { parseConversationId } from '@parley/protocol';
import type { Api } from './api.js';
import type { UserDirectory } from './users.js';

const RANK: Record<GroupRole, number> = { owner: 3, admin: 2, member: 1 };

/** Group members and roles (REST), reloaded when the server pushes a membership change. */
export class GroupsStore {
  private members = new Map<string, WireGroupMember[]>();

  constructor(
    private readonly api: Api,
    private readonly users: UserDirectory,
    private readonly me: string,
    private readonly changed: () => void,
  ) {}

  static groupId(conversationId: string): number {
    const parsed = parseConversationId(conversationId);
    if (parsed?.kind !== 'group') throw new Error(`${conversationId} is not a group`);
    return parsed.groupId;
  }

  membersOf(conversationId: string): WireGroupMember[] | undefined {
    return this.members.get(conversationId);
  }

  roleOf(conversationId: string, userId = this.me): GroupRole | null {
    return this.members.get(conversationId)?.find((m) => String(m.user.id) === userId)?.role ?? null;
  }

  /** Whether I may remove this member: admins remove plain members, the owner anyone but themself. */
  canRemove(conversationId: string, member: WireGroupMember): boolean {
    const mine = this.roleOf(conversationId);
    if (!mine || String(member.user.id) === this.me) return false;
    return RANK[mine] >= RANK.admin && RANK[mine] > RANK[member.role];
  }

  canManage(conversationId: string): boolean {
    const mine = this.roleOf(conversationId);
    return mine !== null && RANK[mine] >= RANK.admin;
  }

  async load(conversationId: string): Promise<void> {
    const { members } = await this.api.groupMembers(GroupsStore.groupId(conversationId));
    const order = (m: WireGroupMember) => -RANK[m.role];
    members.sort((a, b) => order(a) - order(b) || a.user.display_name.localeCompare(b.user.display_name));
    for (const m of members) this.users.remember(m.user);
    this.members.set(conversationId, members);
    this.changed();
  }

  async create(name: string, memberIds: WireUserId[]): Promise<string> {
    const { group } = await this.api.createGroup(name, memberIds);
    return group.conversation_id;
  }

  async rename(conversationId: string, name: string): Promise<void> {
    await this.api.renameGroup(GroupsStore.groupId(conversationId), name);
  }

  async add(conversationId: string, userIds: WireUserId[]): Promise<void> {
    await this.api.addMembers(GroupsStore.groupId(conversationId), userIds);
    await this.load(conversationId);
  }

  async remove(conversationId: string, userId: WireUserId): Promise<void> {
    await this.api.removeMember(GroupsStore.groupId(conversationId), userId);
    await this.load(conversationId);
  }

  async leave(conversationId: string): Promise<void> {
    await this.api.leaveGroup(GroupsStore.groupId(conversationId));
    this.members.delete(conversationId);
    this.changed();
  }

  /** A membership event: reload the members if they are shown; true when I was removed. */
  onMemberEvent(e: MemberEvent): boolean {
    const removedMe = e.change === 'removed' && String(e.user_id) === this.me;
    if (removedMe) this.members.delete(e.conversation_id);
    else if (this.members.has(e.conversation_id)) void this.load(e.conversation_id).catch(() => {});
    return removedMe;
  }
}
