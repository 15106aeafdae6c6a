import type { Bus } from '../cluster/bus.js';
import { AppError } from '../errors.js';
import type { GroupCommit } from '../storage/group-commit.js';
import type { HistoryPage, MessageRecord } from '../storage/records.js';
import type { MessageRepo } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { HostEvents } from './host-events.js';
import type { PresenceService } from './presence-service.js';
import type { ConversationService } from './conversation-service.js';
import type { RateLimiter } from './rate-limiter.js';
import type { UserService } from './user-service.js';

export interface SendInput {
  conversationId?: string;
  toUserId?: string;
  clientMsgId: string | null;
  text: string;
  kind: string;
  metadata: Record<string, unknown> | null;
  replyTo: string | null;
}

export interface SendResult {
  message: MessageRecord;
  duplicate: boolean;
}

export interface MessageLimits {
  maxMessageChars: number;
  maxMetadataBytes: number;
}

/**
 * Sending and reading messages. Guarantees (docs/protocol.md):
 * - D1: a send resolves only after the message is durably stored (group commit);
 * - D2: (sender, client_msg_id) identifies a message: a retry returns the stored original, never a second row;
 * - D3: seq orders a conversation, gap-free; events are published in seq order;
 * - D4: every member's connected devices receive the message, the sender's other devices included.
 */
export class MessageService {
  constructor(
    private readonly repo: MessageRepo,
    private readonly commit: GroupCommit,
    private readonly conversations: ConversationService,
    private readonly users: UserService,
    private readonly bus: Bus,
    private readonly rate: RateLimiter,
    private readonly clock: Clock,
    private readonly limits: MessageLimits,
    private readonly presence: PresenceService,
    private readonly host: HostEvents,
  ) {}

  /** Sends and resolves once the message is durable (D1). */
  async send(me: string, input: SendInput, originConnectionId?: string): Promise<SendResult> {
    return (await this.submit(me, input, originConnectionId)).committed;
  }

  /**
   * Checks and queues a message for the store, resolving as soon as it is queued; `committed` settles once it is
   * durable. Messages queued one after another are stored and published in that order (D3).
   */
  async submit(me: string, input: SendInput, originConnectionId?: string): Promise<{ committed: Promise<SendResult> }> {
    let conversationId: string;
    try {
      conversationId = await this.admit(me, input);
    } catch (err) {
      // D2 before any refusal: a retry of a stored message gets its original back, whatever changed since (rate,
      // blocks, roles). An accepted retry needs no lookup here: the store returns the original (duplicate: true).
      const original = input.clientMsgId === null ? null : await this.repo.findByClientMsgId(me, input.clientMsgId);
      if (!original) throw err;
      await this.republish(original, originConnectionId);
      return { committed: Promise.resolve({ message: original, duplicate: true }) };
    }
    const [to, sender] = await Promise.all([this.conversations.recipients(conversationId), this.users.sender(me)]);
    const committed = this.commit
      .append({
        conversationId,
        senderId: me,
        clientMsgId: input.clientMsgId,
        kind: input.kind,
        text: input.text,
        metadata: input.metadata,
        replyTo: input.replyTo,
        createdAt: this.clock(),
      })
      .then(async (result) => {
        if (result.duplicate) {
          // stored already (a retry racing its original): best effort, the ack matters more than the echo
          await this.republish(result.message, originConnectionId).catch(() => {});
          return result;
        }
        // Synchronous, in commit order: events of a conversation are published in seq order.
        if (this.host.enabled) void this.tellHostAboutOffline(result.message, to);
        this.bus.publish({
          kind: 'deliver',
          to,
          event: { type: 'message.created', message: result.message, sender },
          ...(originConnectionId ? { skipConnectionId: originConnectionId } : {}),
        });
        return result;
      });
    committed.catch(() => {}); // the caller observes the failure; this only keeps it from being "unhandled"
    return { committed };
  }

  /** Every check a new message passes (content, rate, membership, reply); resolves with its conversation. */
  private async admit(me: string, input: SendInput): Promise<string> {
    this.checkContent(input);
    const wait = this.rate.take(me);
    if (wait > 0) throw new AppError('RATE_LIMITED', undefined, { retryAfterMs: wait });
    const conversationId = await this.conversations.resolveForSend(me, input);
    if (input.replyTo !== null) {
      const original = await this.repo.getMessage(input.replyTo);
      if (!original || original.conversationId !== conversationId) {
        throw new AppError('NOT_FOUND', 'reply_to names no message of this conversation', { field: 'reply_to' });
      }
    }
    return conversationId;
  }

  /**
   * A retry means the sender never saw the ack, so the process that stored the message may have died before
   * publishing it: publish it again (at-least-once; clients dedupe by seq) so members connected elsewhere get it.
   */
  private async republish(message: MessageRecord, originConnectionId?: string): Promise<void> {
    const [to, sender] = await Promise.all([
      this.conversations.recipients(message.conversationId),
      this.users.sender(message.senderId),
    ]);
    this.bus.publish({
      kind: 'deliver',
      to,
      event: { type: 'message.created', message, sender },
      ...(originConnectionId ? { skipConnectionId: originConnectionId } : {}),
    });
  }

  /** Webhook for recipients with no connected device, so the host can push to their phones. */
  private async tellHostAboutOffline(message: MessageRecord, members: string[]): Promise<void> {
    try {
      const others = members.filter((u) => u !== message.senderId);
      const online = await this.presence.online(others);
      const offline = others.filter((u) => !online.has(u));
      if (offline.length > 0) this.host.messageForOfflineUsers(message, offline);
    } catch {
      // best effort: presence unavailable means no push hint, never a failed send
    }
  }

  async history(
    me: string,
    conversationId: string,
    query: { before?: number; after?: number; offset?: number; limit: number },
  ): Promise<HistoryPage> {
    if ((await this.conversations.requireReader(me, conversationId)) === 'dm-new')
      return { messages: [], hasMore: false };
    return this.repo.history(conversationId, query);
  }

  private checkContent(input: SendInput): void {
    if (input.text.length > this.limits.maxMessageChars && codePoints(input.text) > this.limits.maxMessageChars) {
      throw new AppError('MESSAGE_TOO_LONG', `text is longer than ${this.limits.maxMessageChars} characters`, {
        field: 'text',
      });
    }
    if (input.kind === 'text' && input.text.trim().length === 0) {
      throw new AppError('VALIDATION_FAILED', 'text must not be empty', { field: 'text' });
    }
    if (input.metadata !== null && Buffer.byteLength(JSON.stringify(input.metadata)) > this.limits.maxMetadataBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `metadata is larger than ${this.limits.maxMetadataBytes} bytes`, {
        field: 'metadata',
      });
    }
  }
}

/** Length in characters as people count them (code points: an emoji is one, not two UTF-16 units). */
function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}
