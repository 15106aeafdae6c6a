import type { WireUser } from '@parley/protocol';
import { parseResponse, SessionEnded } from './errors.js';

/** What /v1/auth/register, /login and /refresh return. */
export interface AuthResponse {
  user: WireUser;
  access_token: string;
  access_token_expires_at: string;
  refresh_token: string;
}

interface Stored {
  user: WireUser;
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
}

const KEY = 'parley.session';
/** Renew the access token this long before it expires. */
const RENEW_BEFORE_MS = 60_000;

function read(): Stored | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

/**
 * The signed-in user's tokens, kept in localStorage so a reload (or another tab) stays signed in. The access
 * token is renewed before it expires; refresh tokens are single-use, so renewals are serialised across tabs with
 * a Web Lock, and a tab that lost the race picks up the token the winner stored.
 */
export class Session {
  private refreshing: Promise<string> | null = null;

  constructor(
    private readonly base: URL,
    private readonly onEnded: () => void,
  ) {}

  get user(): WireUser | null {
    return read()?.user ?? null;
  }

  store(res: AuthResponse): void {
    this.write({
      user: res.user,
      accessToken: res.access_token,
      accessExpiresAt: Date.parse(res.access_token_expires_at),
      refreshToken: res.refresh_token,
    });
  }

  setUser(user: WireUser): void {
    const s = read();
    if (s) this.write({ ...s, user });
  }

  /** A valid access token, renewed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const s = read();
    if (!s) {
      this.onEnded(); // signed out in another tab
      throw new SessionEnded();
    }
    if (s.accessExpiresAt - Date.now() > RENEW_BEFORE_MS) return s.accessToken;
    return this.refresh(s.accessToken);
  }

  /** Renews the tokens (once, however many callers ask); `stale` is the token the server refused, if any. */
  refresh(stale: string | null = null): Promise<string> {
    this.refreshing ??= withLock(() => this.renew(stale)).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async signOut(): Promise<void> {
    const s = read();
    localStorage.removeItem(KEY);
    if (s) {
      await fetch(new URL('v1/auth/logout', this.base), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: s.refreshToken }),
      }).catch(() => {});
    }
  }

  private async renew(stale: string | null): Promise<string> {
    const s = read();
    if (!s) throw new SessionEnded();
    const fresh = s.accessExpiresAt - Date.now() > RENEW_BEFORE_MS;
    if (fresh && s.accessToken !== stale) return s.accessToken; // another tab renewed it meanwhile
    const res = await fetch(new URL('v1/auth/refresh', this.base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: s.refreshToken }),
    });
    if (res.status === 401 || res.status === 403) {
      const now = read();
      if (now && now.refreshToken !== s.refreshToken) return now.accessToken; // another tab won the race
      localStorage.removeItem(KEY);
      this.onEnded();
      throw new SessionEnded();
    }
    const body = await parseResponse<AuthResponse>(res);
    this.store(body);
    return body.access_token;
  }

  private write(s: Stored): void {
    localStorage.setItem(KEY, JSON.stringify(s));
  }
}

function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? (locks.request('parley.refresh', fn) as Promise<T>) : fn();
}
