import { SignJWT } from 'jose';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** A host application's token: HS256 with the shared secret, claims as given. */
export async function hostToken(
  claims: Record<string, unknown>,
  options: { secret?: string; expiresInSec?: number; issuer?: string; audience?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now);
  jwt = jwt.setExpirationTime(now + (options.expiresInSec ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}
