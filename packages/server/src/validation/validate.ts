import { AppError } from '../errors.js';
import { assertSafeName, assertWellFormed } from './text.js';

/** Field readers for untrusted JSON: each throws VALIDATION_FAILED naming the field. */

export type Obj = Record<string, unknown>;

export function requireObject(value: unknown, what = 'body'): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('VALIDATION_FAILED', `${what} must be a JSON object`, { field: what });
  }
  return value as Obj;
}

function fail(field: string, problem: string): never {
  throw new AppError('VALIDATION_FAILED', `${field} ${problem}`, { field });
}

export function str(o: Obj, field: string, opts: { min?: number; max: number; pattern?: RegExp }): string {
  const v = o[field];
  if (typeof v !== 'string') fail(field, 'must be a string');
  if (v.length < (opts.min ?? 0)) fail(field, `must have at least ${opts.min} characters`);
  if (v.length > opts.max) fail(field, `must have at most ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) fail(field, 'has characters that are not allowed');
  assertWellFormed(v, field);
  return v;
}

export function optStr(
  o: Obj,
  field: string,
  opts: { min?: number; max: number; pattern?: RegExp },
): string | undefined {
  return o[field] === undefined ? undefined : str(o, field, opts);
}

/** An optional display name: as optStr, and refused with control or bidirectional-override characters. */
export function optDisplayName(o: Obj, field: string, opts: { min?: number; max: number }): string | undefined {
  const v = optStr(o, field, opts);
  if (v !== undefined) assertSafeName(v, field);
  return v;
}

export function optNullableStr(
  o: Obj,
  field: string,
  opts: { max: number; pattern?: RegExp },
): string | null | undefined {
  return o[field] === null ? null : optStr(o, field, opts);
}

export function int(o: Obj, field: string, opts: { min: number; max: number }): number {
  let v = o[field];
  if (typeof v === 'string' && /^-?\d{1,16}$/.test(v)) v = Number(v);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(field, 'must be an integer');
  if (v < opts.min || v > opts.max) fail(field, `must be between ${opts.min} and ${opts.max}`);
  return v;
}

export function optInt(o: Obj, field: string, opts: { min: number; max: number }): number | undefined {
  return o[field] === undefined || o[field] === '' ? undefined : int(o, field, opts);
}

export function optEnum<T extends string>(o: Obj, field: string, allowed: readonly T[]): T | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(field, `must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}

export function optArray(o: Obj, field: string, max: number): unknown[] | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) fail(field, 'must be an array');
  if (v.length > max) fail(field, `must have at most ${max} items`);
  return v;
}

export function optHttpUrl(o: Obj, field: string): string | null | undefined {
  const v = optNullableStr(o, field, { max: 2048 });
  if (v === undefined || v === null || v === '') return v === '' ? null : v;
  if (!/^https?:\/\/\S+$/.test(v)) fail(field, 'must be an http(s) URL');
  return v;
}
