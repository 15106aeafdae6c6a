import { AppError } from '../../errors.js';
import type { Obj } from '../../validation/validate.js';

/**
 * A sync's positions (conversation id -> seq held) or revisions (conversation id -> change revision applied, C5):
 * integers >= 0, at most 10,000; VALIDATION_FAILED naming `field` otherwise.
 */
export function parsePositions(value: unknown, field = 'positions'): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  const what = field.endsWith('revs') ? 'revision' : 'seq';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('VALIDATION_FAILED', `${field} must map conversation ids to a ${what}`, { field });
  }
  const entries = Object.entries(value as Obj);
  if (entries.length > 10_000) throw new AppError('VALIDATION_FAILED', `too many ${field}`, { field });
  for (const [, n] of entries) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new AppError('VALIDATION_FAILED', `each of ${field} must be a ${what} (integer >= 0)`, { field });
    }
  }
  return value as Record<string, number>;
}
