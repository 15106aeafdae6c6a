import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The JWT secret when PARLEY_JWT_SECRET is unset: generated once and kept in the data directory (mode 0600),
 * so standalone tokens survive restarts. A host application must set PARLEY_JWT_SECRET to share its own.
 */
export function loadOrCreateSecret(dataDir: string): string {
  const path = join(dataDir, 'jwt-secret');
  let existing: string | null = null;
  try {
    existing = readFileSync(path, 'utf8').trim();
  } catch {
    // not there yet
  }
  if (existing !== null) {
    // Regenerating would silently sign everyone out: refuse instead.
    if (existing.length < 32)
      throw new Error(`${path} holds an invalid secret (under 32 characters); fix or delete it`);
    return existing;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}
