import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { HttpContext } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
    deviceId: string | null;
  }
}

/** preHandler: the Bearer token names the caller (a host user is created on first sight). 401 otherwise. */
export function authenticate(ctx: HttpContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const m = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (!m) throw new AppError('AUTH_REQUIRED');
    const token = await ctx.tokens.verify((m[1] as string).trim());
    if (token.deviceId !== null && (await ctx.devices.isRevoked(token.userId, token.deviceId))) {
      throw new AppError('DEVICE_REVOKED');
    }
    await ctx.users.ensureFromToken(token);
    request.userId = token.userId;
    request.deviceId = token.deviceId;
  };
}
