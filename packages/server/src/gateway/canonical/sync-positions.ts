import { AppError } from '../../errors.js';
import type { Obj } from '../../validation/validate.js';

/** A sync's positions: conversation id -> seq held (integer >= 0), at most 10,000; VALIDATION_FAILED otherwise. */
export function parsePositions(value: unknown, field = 'positions'): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('VALIDATION_FAILED', 'positions must map conversation ids to seqs', { field });
  }
  const entries = Object.entries(value as Obj);
  if (entries.length > 10_000) throw new AppError('VALIDATION_FAILED', 'too many positions', { field });
  for (const [, seq] of entries) {
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      throw new AppError('VALIDATION_FAILED', 'each position must be a seq (integer >= 0)', { field });
    }
  }
  return value as Record<string, number>;
}
