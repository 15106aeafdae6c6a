/** Latency samples in milliseconds, bounded in memory (reservoir sampling past `cap`). */
export class Samples {
  private data: Float64Array;
  private n = 0;
  private seen = 0;
  max = 0;

  constructor(private readonly cap = 1_000_000) {
    this.data = new Float64Array(Math.min(cap, 65_536));
  }

  add(ms: number): void {
    this.seen++;
    if (ms > this.max) this.max = ms;
    if (this.n < this.cap) {
      if (this.n === this.data.length) {
        const bigger = new Float64Array(Math.min(this.cap, this.data.length * 2));
        bigger.set(this.data);
        this.data = bigger;
      }
      this.data[this.n++] = ms;
      return;
    }
    const i = Math.floor(Math.random() * this.seen);
    if (i < this.cap) this.data[i] = ms;
  }

  get count(): number {
    return this.seen;
  }

  summary(): { p50: number | null; p99: number | null; max: number | null; n: number } {
    if (this.n === 0) return { p50: null, p99: null, max: null, n: 0 };
    const sorted = this.data.slice(0, this.n).sort();
    const at = (q: number) => round(sorted[Math.min(this.n - 1, Math.floor(q * this.n))] as number);
    return { p50: at(0.5), p99: at(0.99), max: round(this.max), n: this.seen };
  }
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Monotonic microseconds, comparable across processes on one machine (CLOCK_MONOTONIC). */
export function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}
