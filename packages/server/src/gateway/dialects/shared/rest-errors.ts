import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../../errors.js';
import type { SeedContext } from '../seed-context.js';

/** Any failure of a seed route as an AppError (the same translation as the /v1 error mapper). */
export function asAppError(err: FastifyError, ctx: SeedContext): AppError {
  if (err instanceof AppError) return err;
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new AppError('INVALID_JSON');
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AppError('PAYLOAD_TOO_LARGE');
  if (err instanceof SyntaxError) return new AppError('INVALID_JSON');
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError('VALIDATION_FAILED', err.message);
  }
  ctx.log.error({ err }, 'seed route failed');
  return new AppError('INTERNAL');
}

/** Refusals of a seed's routes in that seed's error shape, with the code's HTTP status. */
export function seedErrorShape(app: FastifyInstance, ctx: SeedContext, shape: (error: AppError) => unknown): void {
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    const error = asAppError(err, ctx);
    ctx.metrics.errors.inc({ code: error.code });
    if (error.retryAfterMs !== undefined) reply.header('retry-after', Math.ceil(error.retryAfterMs / 1000));
    void reply.status(error.status).send(shape(error));
  });
}
