import type { ParleyClient } from './client.js';

export interface TypingNotifierOptions {
  /** While the user keeps typing, `start` is repeated at most this often (default 3 s; the server's TTL is ~6 s). */
  repeatMs?: number;
  /** `stop` is sent after this long without a keystroke (default 4 s). */
  idleMs?: number;
}

/**
 * Turns a composer's edits into typing frames for one conversation: `start` on the first keystroke and again every
 * `repeatMs` while typing goes on, `stop` when the text is cleared or sent, or after `idleMs` without a keystroke.
 * Frames are best effort: the client drops them silently while offline.
 */
export class TypingNotifier {
  private lastStart = 0;
  private typing = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly client: Pick<ParleyClient, 'typing'>,
    private readonly conversationId: string,
    private readonly options: TypingNotifierOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Call on every edit with the composer's current text. */
  input(text: string): void {
    if (text.trim() === '') return this.stop();
    const now = this.now();
    if (!this.typing || now - this.lastStart >= (this.options.repeatMs ?? 3000)) {
      this.typing = true;
      this.lastStart = now;
      this.client.typing(this.conversationId, 'start');
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), this.options.idleMs ?? 4000);
  }

  /** The text was sent, cleared or abandoned: tells the others at once (once). */
  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.typing) return;
    this.typing = false;
    this.client.typing(this.conversationId, 'stop');
  }
}
