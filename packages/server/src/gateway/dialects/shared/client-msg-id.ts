import { AppError } from '../../../errors.js';
import { CLIENT_MSG_ID } from '../../../validation/inputs.js';

/**
 * The optional idempotency key of a seed's send (D2: a resend with the same key from the same user is stored
 * once and answered with the original): null when absent; a malformed one is refused, never silently dropped.
 */
export function optionalClientMsgId(value: unknown, field = 'client_msg_id'): string | null {
  if (value === undefined || value === null) return null;
  const key = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof key !== 'string' || !CLIENT_MSG_ID.test(key)) {
    throw new AppError('VALIDATION_FAILED', `${field} must be 1 to 64 letters, digits or "_.:-"`, { field });
  }
  return key;
}
