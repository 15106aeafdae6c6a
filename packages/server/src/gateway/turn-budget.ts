/**
 * How many incoming frames the node handles per event-loop turn. Frames are handled as they are read, and storing,
 * acknowledging and writing happen later in the same turn (group commit and socket writes run on setImmediate): when
 * more frames arrive than the node can handle, an unbounded read phase would starve them, and nothing would be acked
 * or delivered until the input stops. Past the budget, frames wait for a later turn, in arrival order, and their
 * sockets are paused meanwhile (TCP backpressure to the senders); below it nothing changes. Each connection still
 * handles its frames in order (its chain waits for the slot).
 */
export class TurnBudget {
  private spent = 0;
  private scheduled = false;
  private waiting: (() => void)[] = [];
  private head = 0;

  constructor(private readonly perTurn: number) {}

  /** Spends one frame of this turn's budget; false when the frame must wait (see wait). */
  take(): boolean {
    this.schedule();
    if (this.head === this.waiting.length && this.spent < this.perTurn) {
      this.spent++;
      return true;
    }
    return false;
  }

  /** Resolves in the turn this frame gets its slot; `pause`/`resume` hold its socket back meanwhile. */
  wait(pause: () => void, resume: () => void): Promise<void> {
    pause();
    const slot = new Promise<void>((resolve) =>
      this.waiting.push(() => {
        resume();
        resolve();
      }),
    );
    // A frame may come to wait after the turn that could serve it ran (its connection's previous frame was still
    // being handled): make sure a turn is coming, or it would wait, and its socket stay paused, forever.
    this.schedule();
    return slot;
  }

  get backlog(): number {
    return this.waiting.length - this.head;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.nextTurn);
  }

  private readonly nextTurn = () => {
    this.scheduled = false;
    const n = Math.min(this.perTurn, this.waiting.length - this.head);
    this.spent = n;
    for (let i = 0; i < n; i++) (this.waiting[this.head++] as () => void)();
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    if (n > 0 || this.waiting.length > 0) this.schedule();
  };
}
