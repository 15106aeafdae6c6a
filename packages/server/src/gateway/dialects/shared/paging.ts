import { type Obj, optInt } from '../../../validation/validate.js';

/** `limit` (default 50, at most 200) and `offset` (default 0) from a query string. */
export function limitOffset(query: unknown): { limit: number; offset: number } {
  const q = (query ?? {}) as Obj;
  return {
    limit: optInt(q, 'limit', { min: 1, max: 200 }) ?? 50,
    offset: optInt(q, 'offset', { min: 0, max: 1_000_000 }) ?? 0,
  };
}
