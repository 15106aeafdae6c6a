import type { Logger } from '../logger.js';
import type { PresenceEntry, PresenceStore } from './presence-store.js';

/**
 * Keeps this node's presence entries alive: every TTL / 3 it refreshes the entries of every connection the node
 * holds, so an entry outlives its connection by at most the TTL (a dead node's users go offline within it).
 * Returns the function that stops it.
 */
export function startPresenceRefresh(
  store: PresenceStore,
  entries: () => PresenceEntry[],
  ttlMs: number,
  log: Logger,
): () => void {
  let running = false;
  const timer = setInterval(
    () => {
      if (running) return;
      running = true;
      store
        .refresh(entries())
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
