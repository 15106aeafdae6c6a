import { parseUserId } from '@parley/protocol';
import { AppError } from '../errors.js';
import { type Obj, requireObject } from '../validation/validate.js';

/** Path and query readers for route modules. */

export function userIdParam(value: unknown, field = 'user_id'): string {
  const id = parseUserId(value);
  if (id === null) throw new AppError('VALIDATION_FAILED', `${field} is not a valid user id`, { field });
  return id;
}

export function groupIdParam(value: unknown): number {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new AppError('NOT_FOUND', 'No such group');
  return n;
}

export function idList(value: unknown, field: string, max = 500): string[] {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AppError('VALIDATION_FAILED', `${field} must be a comma-separated list of ids`, { field });
  }
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length > max) throw new AppError('VALIDATION_FAILED', `${field} has more than ${max} ids`, { field });
  return parts.map((p) => userIdParam(p, field));
}

export function body(value: unknown): Obj {
  return requireObject(value ?? undefined, 'body');
}
