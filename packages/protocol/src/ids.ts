/**
 * User ids are opaque strings inside Parley. On the wire, an id that is the decimal form of a safe integer
 * (no sign, no leading zero) is rendered as a JSON number, so hosts and clients that use integer ids get integers
 * back; every other id is a string. Clients may send either form.
 */
export type WireUserId = string | number;

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export function renderUserId(id: string): WireUserId {
  if (DECIMAL.test(id)) {
    const n = Number(id);
    if (Number.isSafeInteger(n)) return n;
  }
  return id;
}

/** Allowed characters of a user id: what hosts use for primary keys (ints, UUIDs, slugs, emails). */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.@+-]{1,64}$/;

/** Normalises a user id received from a client; null when it is not a valid id. */
export function parseUserId(value: unknown): string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  if (typeof value === 'string' && USER_ID_PATTERN.test(value)) return value;
  return null;
}

/** The id of the direct conversation between two users: the same for both, whoever writes first. */
export function dmConversationId(a: string, b: string): string {
  return a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}

/** The id of a group's conversation. */
export function groupConversationId(groupId: number): string {
  return `g:${groupId}`;
}

export type ParsedConversationId = { kind: 'dm'; users: [string, string] } | { kind: 'group'; groupId: number };

export function parseConversationId(id: unknown): ParsedConversationId | null {
  if (typeof id !== 'string') return null;
  if (id.startsWith('g:')) {
    const n = Number(id.slice(2));
    return Number.isSafeInteger(n) && n > 0 && String(n) === id.slice(2) ? { kind: 'group', groupId: n } : null;
  }
  if (id.startsWith('dm:')) {
    const parts = id.slice(3).split(':');
    if (parts.length !== 2) return null;
    const [a, b] = parts as [string, string];
    if (!USER_ID_PATTERN.test(a) || !USER_ID_PATTERN.test(b) || a >= b) return null;
    return { kind: 'dm', users: [a, b] };
  }
  return null;
}
