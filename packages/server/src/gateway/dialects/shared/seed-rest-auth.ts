import type { FastifyRequest } from 'fastify';
import { AppError } from '../../../errors.js';
import type { SeedContext } from '../seed-context.js';

/** preHandler for the seeds' REST routes: `Authorization: Bearer <jwt>` names the caller, as on /v1. */
export function seedAuthenticate(ctx: SeedContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const m = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
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
