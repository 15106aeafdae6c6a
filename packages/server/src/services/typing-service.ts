import { parseConversationId } from '@parley/protocol';
import type { Bus } from '../cluster/bus.js';
import type { Clock } from './clock.js';
import { AppError } from '../errors.js';
import type { ConversationService } from './conversation-service.js';
import type { SocialService } from './social-service.js';

/**
 * Typing indicators: relayed to the conversation's other members only (never across a block), never stored. A `start` expires by itself
 * after `ttlMs` (receivers are told so); at most one `start` per user and conversation per second is relayed,
 * the rest are dropped (T1).
 */
export class TypingService {
  private lastStart = new Map<string, number>();

  constructor(
    private readonly conversations: ConversationService,
    private readonly social: SocialService,
    private readonly bus: Bus,
    private readonly clock: Clock,
    readonly ttlMs: number,
  ) {}

  /** Relays the indicator; false when it was dropped by the rate limit. */
  async typing(me: string, conversationId: string, state: 'start' | 'stop', context: string | null): Promise<boolean> {
    const started = await this.conversations.requireReader(me, conversationId);
    const key = `${me}\u0000${conversationId}`;
    const now = this.clock();
    if (state === 'start') {
      const last = this.lastStart.get(key);
      if (last !== undefined && now - last < 1000) return false;
      this.lastStart.set(key, now);
    } else {
      this.lastStart.delete(key);
    }
    const parsed = parseConversationId(conversationId);
    if (parsed?.kind === 'dm') {
      const peer = parsed.users[0] === me ? parsed.users[1] : parsed.users[0];
      if (await this.social.isBlockedEitherWay(me, peer)) throw new AppError('BLOCKED');
    }
    const members =
      started === 'dm-new' || parsed?.kind === 'dm'
        ? parsed?.kind === 'dm'
          ? parsed.users
          : []
        : await this.conversations.recipients(conversationId);
    const to = members.filter((u) => u !== me);
    if (to.length > 0) {
      this.bus.publish({
        kind: 'deliver',
        to,
        event: { type: 'typing', conversationId, userId: me, state, context, expiresInMs: this.ttlMs },
      });
    }
    return true;
  }

  /** Forgets rate-limit entries older than the TTL (called from the periodic sweep). */
  prune(): void {
    const cutoff = this.clock() - this.ttlMs;
    for (const [key, at] of this.lastStart) if (at < cutoff) this.lastStart.delete(key);
  }
}
