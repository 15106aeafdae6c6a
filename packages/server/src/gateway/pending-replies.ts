/**
 * Replies written after their request's frame was handled (a send is acknowledged once it is stored). A graceful
 * drain waits for every one of them, so no stored message goes unacknowledged before its socket closes (D5).
 */
export class PendingReplies {
  private readonly due = new Set<Promise<unknown>>();

  /** `reply` settles once the reply is written (or known to be unwritable). */
  track(reply: Promise<unknown>): void {
    this.due.add(reply);
    const forget = () => this.due.delete(reply);
    reply.then(forget, forget);
  }

  /** Resolves when every reply tracked so far has been written. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.due]);
  }
}
