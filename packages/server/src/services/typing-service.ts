import { parseConversationId } from '@parley/protocol';
import type { Bus } from '../cluster/bus.js';
import type { Clock } from './clock.js';
import { RateLimiter } from './rate-limiter.js';
import type { ConversationService } from './conversation-service.js';
import type { SocialService } from './social-service.js';

/**
 * Typing indicators: relayed to the conversation's other members only, never stored. They reach only whom a
 * message could: never across a block (in a group, blocked members are left out) and, under the friends-only DM
 * policy, not from a stranger. A `start` expires by itself
 * after `ttlMs` (receivers are told so); at most one `start` per user and conversation per second is relayed,
 * the rest are dropped (T1). Start/stop toggles cannot flood a group: a user's relayed indicators, starts and
 * stops together, are bounded by a token bucket (`EVENTS_PER_SEC`, burst `EVENTS_BURST`); beyond it they are
 * dropped like a too-early start (16.5).
 */
export class TypingService {
  static readonly EVENTS_PER_SEC = 5;
  static readonly EVENTS_BURST = 10;
  private lastStart = new Map<string, number>();
  private readonly events: RateLimiter;

  constructor(
    private readonly conversations: ConversationService,
    private readonly social: SocialService,
    private readonly bus: Bus,
    private readonly clock: Clock,
    readonly ttlMs: number,
  ) {
    this.events = new RateLimiter(TypingService.EVENTS_PER_SEC, TypingService.EVENTS_BURST, clock);
  }

  /** Relays the indicator; false when it was dropped by the rate limit. */
  async typing(me: string, conversationId: string, state: 'start' | 'stop', context: string | null): Promise<boolean> {
    await this.conversations.requireReader(me, conversationId);
    const key = `${me}\u0000${conversationId}`;
    const now = this.clock();
    if (state === 'start') {
      const last = this.lastStart.get(key);
      if (last !== undefined && now - last < 1000) return false;
      if (this.events.take(me) > 0) return false;
      this.lastStart.set(key, now);
    } else {
      if (this.events.take(me) > 0) return false;
      this.lastStart.delete(key);
    }
    const parsed = parseConversationId(conversationId);
    let to: string[];
    if (parsed?.kind === 'dm') {
      const peer = parsed.users[0] === me ? parsed.users[1] : parsed.users[0];
      // As for a message: never across a block, and under the friends-only policy only between friends.
      await this.conversations.requireReachable(me, peer);
      to = [peer];
    } else {
      // In a group, members blocked either way with the typist are left out.
      const members = await this.conversations.recipients(conversationId);
      const blocked = await this.social.blockedEitherWay(me);
      to = members.filter((u) => u !== me && !blocked.has(u));
    }
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
    this.events.prune();
  }
}
