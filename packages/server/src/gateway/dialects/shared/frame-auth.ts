import type { VerifiedToken } from '../../../auth/token-service.js';
import { AppError, toAppError } from '../../../errors.js';
import type { DeviceInfo } from '../../../storage/records.js';
import type { Connection } from '../../connection.js';
import type { GatewayContext } from '../../context.js';

export type FrameAuthResult =
  | { ok: true; token: VerifiedToken }
  /** The socket closed while the user was being attached: say nothing. */
  | { ok: false; error: null }
  /** Refused; `fatal` when the connection was not authenticated yet (the dialect says so, then closes). */
  | { ok: false; error: AppError; fatal: boolean };

/**
 * Authenticates a connection with a token sent in a frame (seeds 000, 002, 004). On a connection already
 * authenticated, a token for the same user only refreshes its expiry; another user's is refused.
 */
export async function authenticateFrame(
  ctx: GatewayContext,
  conn: Connection,
  raw: unknown,
  device?: { id: string; info: DeviceInfo },
): Promise<FrameAuthResult> {
  const fatal = conn.userId === null;
  let token: VerifiedToken;
  try {
    token = await ctx.tokens.verify(raw);
  } catch (err) {
    return { ok: false, error: toAppError(err), fatal };
  }
  if (!fatal) {
    if (token.userId !== conn.userId) return { ok: false, error: new AppError('ALREADY_AUTHENTICATED'), fatal };
    conn.tokenExpiresAt = token.expiresAt;
    return { ok: true, token };
  }
  try {
    if (!(await ctx.sessions.attach(conn, token, device))) return { ok: false, error: null };
  } catch (err) {
    return { ok: false, error: toAppError(err), fatal };
  }
  return { ok: true, token };
}
