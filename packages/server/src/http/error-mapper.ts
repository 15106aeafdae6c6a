import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../ops/metrics.js';

/** One translation of every failure to `{ error: ErrorBody }` with the code's HTTP status. */
export function installErrorMapper(app: FastifyInstance, metrics: Metrics, log: Logger): void {
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    const error = toHttpError(err, log);
    metrics.errors.inc({ code: error.code });
    if (error.retryAfterMs !== undefined) reply.header('retry-after', Math.ceil(error.retryAfterMs / 1000));
    void reply.status(error.status).send({ error: error.toBody() });
  });
  app.setNotFoundHandler((request, reply) => {
    metrics.errors.inc({ code: 'NOT_FOUND' });
    void reply
      .status(404)
      .send({ error: new AppError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`).toBody() });
  });
}

function toHttpError(err: FastifyError, log: Logger): AppError {
  if (err instanceof AppError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('INVALID_JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('VALIDATION_FAILED', 'Send JSON with Content-Type: application/json');
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message)))
    return new AppError('INVALID_JSON');
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError('VALIDATION_FAILED', err.message);
  }
  log.error({ err }, 'request failed');
  return new AppError('INTERNAL');
}
