import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { parseUserId } from '@parley/protocol';
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.js';
import { sanitizeName } from '../validation/text.js';

/** Device ids: what clients generate (UUIDs, hardware ids). */
export const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface VerifiedToken {
  userId: string;
  username: string | null;
  displayName: string | null;
  /** Epoch ms when the token expires; null when it has no exp claim. */
  expiresAt: number | null;
  /** The device the token was issued to (`did` claim), if any. */
  deviceId: string | null;
}

export interface TokenSettings {
  secret: string;
  issuer: string | null;
  audience: string | null;
  jwksUrl: string | null;
  accessTokenTtlSec: number;
}

/**
 * Verifies host-issued JWTs (HS256 with the shared secret, or any JWKS key) and Parley's own access tokens.
 * The user id is `sub`, else `user_id`, else `userId`; `username` and `name` are optional.
 */
export class TokenService {
  /** Imported once: given raw bytes, jose imports the key again on every verification (a cost per connection). */
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | null;

  constructor(private readonly settings: TokenSettings) {
    this.key = webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(settings.secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    this.jwks = settings.jwksUrl ? createRemoteJWKSet(new URL(settings.jwksUrl)) : null;
  }

  async verify(token: unknown): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length === 0) throw new AppError('AUTH_REQUIRED');
    let payload: JWTPayload;
    try {
      const options = {
        ...(this.settings.issuer ? { issuer: this.settings.issuer } : {}),
        ...(this.settings.audience ? { audience: this.settings.audience } : {}),
      };
      const header = decodeProtectedHeader(token);
      if (header.alg === 'HS256') {
        ({ payload } = await jwtVerify(token, await this.key, { ...options, algorithms: ['HS256'] }));
      } else if (this.jwks) {
        ({ payload } = await jwtVerify(token, this.jwks, options));
      } else {
        throw new AppError('TOKEN_INVALID', `Tokens signed with ${String(header.alg)} are not accepted`);
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw new AppError('TOKEN_EXPIRED');
      // The key set could not be fetched: the token may be fine, so this is retryable, not a forgery.
      if (code === 'ERR_JWKS_TIMEOUT' || (this.jwks && !code)) {
        throw new AppError('UNAVAILABLE', 'The identity provider key set is unreachable; retry');
      }
      throw new AppError('TOKEN_INVALID');
    }
    const userId = parseUserId(payload.sub ?? payload.user_id ?? payload.userId);
    if (userId === null)
      throw new AppError('TOKEN_INVALID', 'The token names no valid user id (sub, user_id or userId)');
    // A host application's claims cannot be refused without refusing the user: unsafe characters are dropped.
    const username = typeof payload.username === 'string' ? sanitizeName(payload.username) : null;
    const name = typeof payload.name === 'string' ? sanitizeName(payload.name) : null;
    return {
      userId,
      username,
      displayName: name ?? username,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
      deviceId: typeof payload.did === 'string' && DEVICE_ID.test(payload.did) ? payload.did : null,
    };
  }

  /** A Parley access token for a standalone user. */
  async issueAccessToken(user: { id: string }, deviceId: string | null, now: number) {
    const expiresAt = now + this.settings.accessTokenTtlSec * 1000;
    // No name claims: for standalone users the stored profile is the truth (a later rename must not be undone).
    let jwt = new SignJWT({ did: deviceId ?? undefined })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000));
    if (this.settings.issuer) jwt = jwt.setIssuer(this.settings.issuer);
    if (this.settings.audience) jwt = jwt.setAudience(this.settings.audience);
    return { token: await jwt.sign(await this.key), expiresAt };
  }
}

/** An opaque refresh token and the hash under which it is stored (the token itself is never stored). */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
