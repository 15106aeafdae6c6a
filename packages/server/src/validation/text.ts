import { AppError } from '../errors.js';

/** A UTF-16 surrogate without its pair: it cannot be stored as UTF-8, so it would come back as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Characters that have no place in a name shown to others: C0 and C1 controls, DEL, line and paragraph
 * separators, and the bidirectional embeddings, overrides and isolates that can make a name read as another.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_IN_NAME = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/** True when the string is valid Unicode text (no lone surrogate), so it is stored exactly as it was sent. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

export function assertWellFormed(s: string, field: string): void {
  if (!isWellFormed(s)) {
    throw new AppError('VALIDATION_FAILED', `${field} contains a lone UTF-16 surrogate (not valid Unicode text)`, {
      field,
    });
  }
}

/** Refuses a display name with control or bidirectional-override characters (VALIDATION_FAILED naming the field). */
export function assertSafeName(s: string, field: string): void {
  assertWellFormed(s, field);
  UNSAFE_IN_NAME.lastIndex = 0;
  if (UNSAFE_IN_NAME.test(s)) {
    throw new AppError('VALIDATION_FAILED', `${field} contains control or bidirectional-override characters`, {
      field,
    });
  }
}

/**
 * A name from a source that cannot be refused (a host application's token claims): unsafe characters removed,
 * lone surrogates replaced by U+FFFD, trimmed, at most `max` characters; null when nothing is left.
 */
export function sanitizeName(s: string, max = 64): string | null {
  const clean = s.replace(UNSAFE_IN_NAME, '').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD').trim();
  const chars = Array.from(clean).slice(0, max).join('');
  return chars === '' ? null : chars;
}

/**
 * Checks untrusted JSON before anything walks it recursively (serialising, storing, encoding for delivery):
 * nesting at most `maxDepth` levels (VALIDATION_FAILED), every string and key valid Unicode text. Iterative, so a
 * hostile depth cannot exhaust the stack here.
 */
export function assertJsonShape(value: unknown, field: string, maxDepth: number): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v === 'string') {
      assertWellFormed(v, field);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) {
      throw new AppError('VALIDATION_FAILED', `${field} is nested deeper than ${maxDepth} levels`, { field });
    }
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1]);
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      assertWellFormed(key, field);
      stack.push([item, depth + 1]);
    }
  }
}
