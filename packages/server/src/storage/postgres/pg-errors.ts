import { AppError } from '../../errors.js';

/** Node socket errors and PostgreSQL SQLSTATEs that mean "the database is unreachable now", not "this is wrong". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown (pg_terminate_backend, server stopping)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '53300', // too_many_connections
  '57014', // query_canceled (statement timeout)
]);

const UNREACHABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended/i;

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : '';
}

/** True when the failure says nothing about the query: the connection or the server is down or was cut. */
export function isUnreachable(err: unknown): boolean {
  const code = codeOf(err);
  if (UNREACHABLE_CODES.has(code) || code.startsWith('08')) return true;
  return err instanceof Error && UNREACHABLE_MESSAGES.test(err.message);
}

/** Deadlock or serialization failure: the transaction was rolled back and may simply be run again. */
export function isTransient(err: unknown): boolean {
  const code = codeOf(err);
  return code === '40P01' || code === '40001';
}

/** The unique index a violation hit (23505), or null. */
export function uniqueViolation(err: unknown): string | null {
  if (codeOf(err) !== '23505') return null;
  return (err as { constraint?: string }).constraint ?? '';
}

/**
 * The error the domain sees: an unreachable database is AppError UNAVAILABLE (retryable: nothing of the failed
 * call was stored, or, when the connection died during COMMIT, it was stored once and a retry with the same
 * client id finds it); a character PostgreSQL cannot store (NUL) is VALIDATION_FAILED; others pass unchanged.
 */
export function toStoreError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isUnreachable(err)) return new AppError('UNAVAILABLE', 'The database is unreachable; retry');
  const code = codeOf(err);
  if (code === '22021' || code === '22P05') {
    return new AppError('VALIDATION_FAILED', 'The text holds a character that cannot be stored (NUL)');
  }
  return err;
}
