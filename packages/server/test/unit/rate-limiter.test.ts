import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/services/rate-limiter.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('RateLimiter', () => {
  it('a new key may spend the whole burst at once, then must wait', () => {
    const clock = manualClock();
    const rl = new RateLimiter(2, 3, clock.now);
    expect([rl.take('u'), rl.take('u'), rl.take('u')]).toEqual([0, 0, 0]);
    // empty: one token comes every 500 ms
    expect(rl.take('u')).toBe(500);
  });

  it('returns the milliseconds until the next token, and refusing spends nothing', () => {
    const clock = manualClock();
    const rl = new RateLimiter(2, 1, clock.now);
    expect(rl.take('u')).toBe(0);
    expect(rl.take('u')).toBe(500);
    expect(rl.take('u')).toBe(500);
    clock.advance(250);
    expect(rl.take('u')).toBe(250);
    clock.advance(125);
    expect(rl.take('u')).toBe(125);
    clock.advance(125);
    expect(rl.take('u')).toBe(0);
    expect(rl.take('u')).toBe(500);
  });

  it('refills at perSec tokens per second, never above the burst', () => {
    const clock = manualClock();
    const rl = new RateLimiter(10, 5, clock.now);
    for (let i = 0; i < 5; i++) expect(rl.take('u')).toBe(0);
    expect(rl.take('u')).toBeGreaterThan(0);
    clock.advance(300); // 3 tokens
    expect([rl.take('u'), rl.take('u'), rl.take('u')]).toEqual([0, 0, 0]);
    expect(rl.take('u')).toBeGreaterThan(0);

    clock.advance(3_600_000); // an hour: capped at 5
    for (let i = 0; i < 5; i++) expect(rl.take('u')).toBe(0);
    expect(rl.take('u')).toBe(100);
  });

  it('keys have independent buckets', () => {
    const clock = manualClock();
    const rl = new RateLimiter(1, 2, clock.now);
    expect([rl.take('a'), rl.take('a')]).toEqual([0, 0]);
    expect(rl.take('a')).toBe(1000);
    expect([rl.take('b'), rl.take('b')]).toEqual([0, 0]);
    expect(rl.take('b')).toBe(1000);
    expect(rl.size).toBe(2);
  });

  it('waiting the returned time is always enough (seeded random schedule)', () => {
    for (const [perSec, burst] of [
      [3, 1],
      [7, 4],
      [20, 40],
      [1000, 2000],
      [13, 2],
    ] as const) {
      const clock = manualClock();
      const rl = new RateLimiter(perSec, burst, clock.now);
      const rand = prng(perSec * 31 + burst);
      for (let i = 0; i < 2_000; i++) {
        const wait = rl.take('k');
        if (wait > 0) {
          expect(wait).toBeLessThanOrEqual(Math.ceil(1000 / perSec));
          clock.advance(wait);
          expect(rl.take('k'), `perSec=${perSec} burst=${burst} step ${i}`).toBe(0);
        }
        clock.advance(Math.floor(rand() * (2_000 / perSec)));
      }
    }
  });

  it('never lets through more than burst + rate x elapsed (seeded random schedule)', () => {
    const perSec = 5;
    const burst = 3;
    const clock = manualClock();
    const start = clock.now();
    const rl = new RateLimiter(perSec, burst, clock.now);
    const rand = prng(42);
    let allowed = 0;
    for (let i = 0; i < 5_000; i++) {
      if (rl.take('k') === 0) allowed += 1;
      const elapsed = clock.now() - start;
      expect(allowed).toBeLessThanOrEqual(burst + (elapsed * perSec) / 1000);
      clock.advance(Math.floor(rand() * 120));
    }
    // and it does let the rate through over time
    const elapsed = clock.now() - start;
    expect(allowed).toBeGreaterThan((elapsed * perSec) / 1000 - burst - 1);
  });

  it('prune forgets buckets that have refilled and keeps the others', () => {
    const clock = manualClock();
    const rl = new RateLimiter(1, 2, clock.now);
    rl.take('a'); // 1 token left
    rl.take('b');
    rl.take('b'); // 0 tokens left
    expect(rl.size).toBe(2);
    rl.prune();
    expect(rl.size).toBe(2);
    clock.advance(1_000); // a is full again; b has 1 token
    rl.prune();
    expect(rl.size).toBe(1);
    clock.advance(1_000);
    rl.prune();
    expect(rl.size).toBe(0);
    // a pruned key starts again with a full burst
    expect([rl.take('b'), rl.take('b')]).toEqual([0, 0]);
    expect(rl.take('b')).toBe(1000);
  });

  it('uses Date.now when no clock is given', () => {
    const rl = new RateLimiter(1, 1);
    expect(rl.take('x')).toBe(0);
    const wait = rl.take('x');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1000);
  });
});
