import type { ErrorBody, ErrorCode } from '@parley/protocol';

/** A refusal from the server, with its stable code and whether retrying can succeed. */
export class ParleyError extends Error {
  readonly code: ErrorCode | 'TIMEOUT' | 'DISCONNECTED';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly field: string | undefined;

  constructor(
    body: Pick<ErrorBody, 'message' | 'retryable' | 'retry_after_ms' | 'field'> & { code: ParleyError['code'] },
  ) {
    super(body.message);
    this.name = 'ParleyError';
    this.code = body.code;
    this.retryable = body.retryable;
    this.retryAfterMs = body.retry_after_ms;
    this.field = body.field;
  }
}

export const timeoutError = (type: string, ms: number) =>
  new ParleyError({ code: 'TIMEOUT', message: `${type} got no reply within ${ms} ms`, retryable: true });

export const disconnectedError = () =>
  new ParleyError({ code: 'DISCONNECTED', message: 'The connection closed before the reply', retryable: true });
