import type { PresenceStatus, WirePresence } from '@parley/protocol';

const pad = (n: number) => String(n).padStart(2, '0');

/** 14:05 */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A local calendar day, to group messages under day separators. */
export function dayKey(iso: string | number): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "Today", "Yesterday", "Monday 3 March", "3 March 2025". */
export function dayLabel(iso: string | number, now = Date.now()): string {
  const d = new Date(iso);
  if (dayKey(d.getTime()) === dayKey(now)) return 'Today';
  if (dayKey(d.getTime()) === dayKey(now - 86_400_000)) return 'Yesterday';
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  const within6Days = now - d.getTime() < 6 * 86_400_000;
  return d.toLocaleDateString(undefined, {
    ...(within6Days ? { weekday: 'long' } : {}),
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

/** In a list: the time today, else the short date. */
export function listTime(iso: string, now = Date.now()): string {
  if (dayKey(iso) === dayKey(now)) return clockTime(iso);
  if (dayKey(iso) === dayKey(now - 86_400_000)) return 'Yesterday';
  return new Date(iso).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

export const STATUS_LABEL: Record<PresenceStatus, string> = {
  online: 'Online',
  away: 'Away',
  busy: 'Busy',
  offline: 'Offline',
};

/** "Online", "Busy", "Last seen 5 min ago", "Offline". */
export function presenceText(p: WirePresence | undefined, now = Date.now()): string {
  if (!p) return 'Offline';
  if (p.status !== 'offline' || !p.last_seen) return STATUS_LABEL[p.status];
  const mins = Math.round((now - Date.parse(p.last_seen)) / 60_000);
  if (mins < 1) return 'Last seen just now';
  if (mins < 60) return `Last seen ${mins} min ago`;
  if (mins < 24 * 60) return `Last seen ${Math.round(mins / 60)} h ago`;
  return `Last seen ${listTime(p.last_seen, now)}`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : [name.trim()];
  return (
    letters
      .map((p) => [...(p ?? '')][0] ?? '')
      .join('')
      .slice(0, 2)
      .toUpperCase() || '?'
  );
}

/** A stable hue per id, for avatar backgrounds. */
export function hueOf(id: string): number {
  let h = 0;
  for (const ch of id) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  return h;
}
