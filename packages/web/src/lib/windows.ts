/** A chat window: docked bottom-right on wide screens, full screen on narrow ones. */
export interface ChatWindowState {
  conversationId: string;
  minimised: boolean;
}

/** Opens (or brings forward and restores) a window; the oldest ones close beyond `max`. Newest last. */
export function openWindow(windows: readonly ChatWindowState[], conversationId: string, max: number) {
  const rest = windows.filter((w) => w.conversationId !== conversationId);
  return [...rest, { conversationId, minimised: false }].slice(-Math.max(1, max));
}

export function closeWindow(windows: readonly ChatWindowState[], conversationId: string) {
  return windows.filter((w) => w.conversationId !== conversationId);
}

export function toggleMinimised(windows: readonly ChatWindowState[], conversationId: string) {
  return windows.map((w) => (w.conversationId === conversationId ? { ...w, minimised: !w.minimised } : w));
}

/** Keeps the newest `max` windows (the screen got narrower). */
export function fitWindows(windows: readonly ChatWindowState[], max: number): ChatWindowState[] {
  return windows.slice(-Math.max(1, max));
}

/** How many docked windows (300 px, 12 px apart, 16 px from the edge) fit beside the 320 px sidebar: 1 to 3. */
export function windowsThatFit(viewportWidth: number): number {
  return Math.min(3, Math.max(1, Math.floor((viewportWidth - 320 - 16 + 12) / 312)));
}
