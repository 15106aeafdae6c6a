import { dmConversationId } from '@parley/protocol';
import type { Bus } from '../cluster/bus.js';
import { AppError } from '../errors.js';
import type { FriendRequestRecord, UserRecord } from '../storage/records.js';
import type { SocialRepo } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { DomainEvent } from './events.js';
import type { UserService } from './user-service.js';

type FriendChange = Extract<DomainEvent, { type: 'friend.changed' }>['change'];

/**
 * Friends (request, accept, decline, cancel, remove) and blocks. Each change is pushed to both users' devices, and
 * a block or a friendship change is announced as `members-changed` of the two users' direct conversation, so every
 * node re-checks whether that conversation is open to messages (MembershipCache).
 */
export class SocialService {
  constructor(
    private readonly repo: SocialRepo,
    private readonly users: UserService,
    private readonly bus: Bus,
    private readonly clock: Clock,
  ) {}

  /** Sends a friend request; if the other user had already asked, this accepts it instead. */
  async request(me: string, other: string): Promise<'requested' | 'accepted'> {
    if (me === other) throw new AppError('VALIDATION_FAILED', 'You cannot befriend yourself', { field: 'user_id' });
    const target = await this.users.get(other);
    if (await this.repo.isBlockedEitherWay(me, other)) throw new AppError('BLOCKED');
    if (await this.repo.areFriends(me, other)) throw new AppError('CONFLICT', 'You are already friends');
    if (await this.repo.getFriendRequest(other, me)) {
      await this.accept(me, other);
      return 'accepted';
    }
    await this.repo.createFriendRequest(me, other, this.clock());
    this.notify(other, 'request', await this.users.get(me));
    this.notify(me, 'request', target);
    return 'requested';
  }

  async accept(me: string, from: string): Promise<void> {
    if (!(await this.repo.getFriendRequest(from, me)))
      throw new AppError('NOT_FOUND', 'No pending request from that user');
    await this.repo.addFriendship(me, from, this.clock());
    this.relationChanged(me, from);
    await this.notifyBoth(me, from, 'accepted');
  }

  async decline(me: string, from: string): Promise<void> {
    if (!(await this.repo.deleteFriendRequest(from, me)))
      throw new AppError('NOT_FOUND', 'No pending request from that user');
    await this.notifyBoth(me, from, 'declined');
  }

  async cancel(me: string, to: string): Promise<void> {
    if (!(await this.repo.deleteFriendRequest(me, to)))
      throw new AppError('NOT_FOUND', 'No pending request to that user');
    await this.notifyBoth(me, to, 'cancelled');
  }

  async remove(me: string, other: string): Promise<void> {
    if (!(await this.repo.removeFriendship(me, other))) throw new AppError('NOT_FOUND', 'That user is not your friend');
    this.relationChanged(me, other);
    await this.notifyBoth(me, other, 'removed');
  }

  listFriends(me: string) {
    return this.repo.listFriends(me);
  }

  listRequests(me: string): Promise<{ incoming: FriendRequestRecord[]; outgoing: FriendRequestRecord[] }> {
    return this.repo.listFriendRequests(me);
  }

  async block(me: string, other: string): Promise<void> {
    if (me === other) throw new AppError('VALIDATION_FAILED', 'You cannot block yourself', { field: 'user_id' });
    await this.users.get(other);
    const wereFriends = await this.repo.areFriends(me, other);
    await this.repo.block(me, other, this.clock());
    this.relationChanged(me, other);
    if (wereFriends) await this.notifyBoth(me, other, 'removed');
  }

  async unblock(me: string, other: string): Promise<void> {
    if (!(await this.repo.unblock(me, other))) throw new AppError('NOT_FOUND', 'That user is not blocked');
    this.relationChanged(me, other);
  }

  listBlocked(me: string) {
    return this.repo.listBlocked(me);
  }

  areFriends(a: string, b: string): Promise<boolean> {
    return this.repo.areFriends(a, b);
  }

  isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    return this.repo.isBlockedEitherWay(a, b);
  }

  /** Everyone the user has blocked or is blocked by. */
  async blockedEitherWay(userId: string): Promise<Set<string>> {
    return new Set(await this.repo.blockedEitherWay(userId));
  }

  private relationChanged(a: string, b: string): void {
    this.bus.publish({ kind: 'members-changed', conversationId: dmConversationId(a, b) });
  }

  private async notifyBoth(me: string, other: string, change: FriendChange): Promise<void> {
    const [a, b] = await Promise.all([this.users.get(me), this.users.get(other)]);
    this.notify(other, change, a);
    this.notify(me, change, b);
  }

  /** Tells `to` that their relation with `about` changed. */
  private notify(to: string, change: FriendChange, about: UserRecord): void {
    this.bus.publish({ kind: 'deliver', to: [to], event: { type: 'friend.changed', change, user: about } });
  }
}
