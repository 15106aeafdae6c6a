import { CLOSE_CODES } from '@parley/protocol';
import type { AppError } from '../../../errors.js';

/** The close code for an authentication refusal: terminal for a bad token, retryable when the check failed. */
export function closeCodeFor(error: AppError): number {
  if (error.code === 'TOKEN_EXPIRED') return CLOSE_CODES.TOKEN_EXPIRED;
  if (error.code === 'DEVICE_REVOKED') return CLOSE_CODES.DEVICE_REVOKED;
  if (error.code === 'TOO_MANY_CONNECTIONS') return CLOSE_CODES.TOO_MANY_CONNECTIONS;
  if (error.code === 'TOO_MANY_DEVICES') return CLOSE_CODES.TOO_MANY_DEVICES;
  return error.retryable ? CLOSE_CODES.TRY_AGAIN_LATER : CLOSE_CODES.AUTH_FAILED;
}
