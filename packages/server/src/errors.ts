import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@parley/protocol';

/**
 * A refusal the domain can name. Edges translate it: REST to an HTTP status and ErrorBody,
 * WebSocket to an `error` frame (and, for auth failures, a close code).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message?: string, extra: { field?: string; retryAfterMs?: number } = {}) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'AppError';
    this.code = code;
    this.field = extra.field;
    this.retryAfterMs = extra.retryAfterMs;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message, retryable: ERROR_CODES[this.code].retryable };
    if (this.field !== undefined) body.field = this.field;
    if (this.retryAfterMs !== undefined) body.retry_after_ms = this.retryAfterMs;
    return body;
  }
}

/** Any thrown value as an AppError; unknown failures become INTERNAL (retryable), never a crash. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('INTERNAL');
}
