/** Times as the seeds print them. All are UTC. */

/** "2025-11-10T10:30:00Z": ISO-8601 to the second (seeds 000 and 003). */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** "2024-01-01T12:00:00": ISO-8601 to the second without a zone, as seed 002 prints it (the time is UTC). */
export function naiveIsoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** "12:00": hours and minutes (seed 002's `time`), UTC. */
export function hourMinute(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** Seconds since the epoch (seed 004's envelope `timestamp`). */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
