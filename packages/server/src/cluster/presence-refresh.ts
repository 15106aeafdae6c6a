import type { Logger } from '../logger.js';
import type { ExpiredUser, PresenceEntry, PresenceStore } from './presence-store.js';

/** Users taken out of the store per call; a sweep makes calls until fewer are due, at most MAX_BATCHES_PER_SWEEP. */
const EXPIRE_BATCH = 1_000;
const MAX_BATCHES_PER_SWEEP = 50;

/**
 * Keeps this node's presence entries alive: every TTL / 3 it refreshes the entries of every connection the node
 * holds, so an entry outlives its connection by at most the TTL (a dead node's users go offline within it). The
 * same sweep takes out the users left with no live entry (another node died) and hands them to `expired`, on one
 * node only, which announces them offline; if this node itself stalled past the TTL and its users were taken out
 * that way, the next refresh misses their entries and sets those still connected again. Returns the function
 * that stops it.
 */
export function startPresenceRefresh(
  store: PresenceStore,
  entries: () => PresenceEntry[],
  ttlMs: number,
  log: Logger,
  hooks: {
    /** Users whose going offline is announced here, unless already announced (taken out by expire()). */
    expired: (users: ExpiredUser[]) => Promise<void>;
    /** This node's entries the refresh did not find: set again those whose connection is still open. */
    missing: (entries: PresenceEntry[]) => Promise<void>;
  },
): () => void {
  let running = false;
  const sweep = async () => {
    const missing = await store.refresh(entries());
    if (missing.length > 0) await hooks.missing(missing);
    // Drain what is due (every user who left passes through here a TTL later), a batch at a time, bounded.
    for (let i = 0; i < MAX_BATCHES_PER_SWEEP; i++) {
      const gone = await store.expire(EXPIRE_BATCH);
      if (gone.length > 0) await hooks.expired(gone);
      if (gone.length < EXPIRE_BATCH) break;
    }
  };
  const timer = setInterval(
    () => {
      if (running) return;
      running = true;
      sweep()
        .catch((err) => log.warn({ err }, 'presence refresh failed'))
        .finally(() => {
          running = false;
        });
    },
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
