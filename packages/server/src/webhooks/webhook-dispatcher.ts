import { createHmac, randomUUID } from 'node:crypto';
import { renderUserId } from '@parley/protocol';
import type { Logger } from '../logger.js';
import type { HostEvents } from '../services/host-events.js';
import type { MessageRecord } from '../storage/records.js';
import { iso, renderMessage } from '../wire/render.js';

export interface WebhookSettings {
  url: string;
  secret: string;
  maxAttempts: number;
  retryBaseMs: number;
  timeoutMs: number;
}

interface Job {
  id: string;
  type: string;
  body: string;
  attempt: number;
}

/**
 * Webhooks to the host application: one POST per event, signed, retried with exponential backoff and jitter.
 * Signature: header `X-Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>`.
 * Delivery is at-least-once while the process runs (receivers dedupe by `X-Parley-Delivery`); retries still
 * pending at shutdown are dropped and logged. The queue is bounded; past it, events are dropped and logged.
 */
export class WebhookDispatcher implements HostEvents {
  readonly enabled = true;
  private queue: Job[] = [];
  private inflight = 0;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private static readonly CONCURRENCY = 4;
  private static readonly MAX_QUEUE = 10_000;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly log: Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  messageForOfflineUsers(message: MessageRecord, userIds: string[]): void {
    this.enqueue('message.created', { message: renderMessage(message), offline_user_ids: userIds.map(renderUserId) });
  }

  userOnline(userId: string, at: number): void {
    this.enqueue('user.online', { user_id: renderUserId(userId), at: iso(at) });
  }

  userOffline(userId: string, at: number): void {
    this.enqueue('user.offline', { user_id: renderUserId(userId), at: iso(at) });
  }

  /** Stops retrying; waits briefly for requests in flight. */
  async stop(waitMs = 2000): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.queue.length > 0)
      this.log.warn({ dropped: this.queue.length }, 'webhooks pending at shutdown were dropped');
    this.queue = [];
    const until = Date.now() + waitMs;
    while (this.inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  private enqueue(type: string, data: unknown): void {
    if (this.stopped) return;
    if (this.queue.length >= WebhookDispatcher.MAX_QUEUE) {
      this.log.error({ type }, 'webhook queue full: event dropped');
      return;
    }
    const id = randomUUID();
    const body = JSON.stringify({ id, type, created_at: new Date().toISOString(), data });
    this.queue.push({ id, type, body, attempt: 0 });
    this.pump();
  }

  private pump(): void {
    while (this.inflight < WebhookDispatcher.CONCURRENCY && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      this.inflight++;
      void this.deliver(job).finally(() => {
        this.inflight--;
        this.pump();
      });
    }
  }

  private async deliver(job: Job): Promise<void> {
    const t = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', this.settings.secret).update(`${t}.${job.body}`).digest('hex');
    let ok = false;
    try {
      const res = await this.fetchImpl(this.settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-parley-event': job.type,
          'x-parley-delivery': job.id,
          'x-parley-signature': `t=${t},v1=${signature}`,
        },
        body: job.body,
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      ok = res.ok;
      await res.body?.cancel();
    } catch {
      ok = false;
    }
    if (ok || this.stopped) return;
    job.attempt++;
    if (job.attempt >= this.settings.maxAttempts) {
      this.log.error({ type: job.type, delivery: job.id, attempts: job.attempt }, 'webhook failed: giving up');
      return;
    }
    const delay = this.settings.retryBaseMs * 2 ** (job.attempt - 1) * (0.5 + Math.random() / 2);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      this.queue.push(job);
      this.pump();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
