import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypingNotifier } from '../src/index.js';

describe('TypingNotifier', () => {
  let frames: string[];
  let now: number;
  let notifier: TypingNotifier;
  beforeEach(() => {
    vi.useFakeTimers();
    frames = [];
    now = 0;
    notifier = new TypingNotifier(
      { typing: (conversationId, state) => frames.push(`${conversationId}:${state}`) },
      'dm:1:2',
      { repeatMs: 3000, idleMs: 4000 },
      () => now,
    );
  });
  afterEach(() => vi.useRealTimers());

  it('sends start once per repeat interval while typing goes on, then stop when the text is sent', () => {
    for (let i = 0; i < 10; i++) {
      notifier.input('hello'.slice(0, (i % 5) + 1));
      now += 500;
      vi.advanceTimersByTime(500);
    }
    expect(frames).toEqual(['dm:1:2:start', 'dm:1:2:start']); // at 0 ms and at 3000 ms
    notifier.stop();
    notifier.stop();
    expect(frames).toEqual(['dm:1:2:start', 'dm:1:2:start', 'dm:1:2:stop']);
  });

  it('sends stop after the idle time without a keystroke, and when the text is cleared', () => {
    notifier.input('h');
    vi.advanceTimersByTime(3999);
    expect(frames).toEqual(['dm:1:2:start']);
    vi.advanceTimersByTime(1);
    expect(frames).toEqual(['dm:1:2:start', 'dm:1:2:stop']);
    notifier.input('x');
    notifier.input('');
    expect(frames).toEqual(['dm:1:2:start', 'dm:1:2:stop', 'dm:1:2:start', 'dm:1:2:stop']);
    vi.advanceTimersByTime(10_000);
    expect(frames).toHaveLength(4);
  });

  it('sends nothing for whitespace only', () => {
    notifier.input('   ');
    vi.advanceTimersByTime(10_000);
    expect(frames).toEqual([]);
  });
});
