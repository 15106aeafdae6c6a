import type { Obj } from '../../../validation/validate.js';

/** A text frame read as a JSON object with a string `type`, or why it is not one. */
export type ParsedFrame = { ok: true; frame: Obj; type: string } | { ok: false; problem: 'json' | 'shape' };

export function parseJsonFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'json' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'shape' };
  const frame = value as Obj;
  return typeof frame.type === 'string' ? { ok: true, frame, type: frame.type } : { ok: false, problem: 'shape' };
}
