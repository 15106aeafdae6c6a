/** Supplies the access token: a fixed string, or a callback asked before connecting and whenever it must renew. */
export type TokenSource = string | (() => string | Promise<string>);

/** Reads a JWT's `exp` (epoch ms) without verifying it; null when absent or unreadable. */
export function tokenExpiry(token: string): number | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

export async function resolveToken(source: TokenSource): Promise<string> {
  return typeof source === 'string' ? source : await source();
}
