import type { SendInput } from '../services/message-service.js';
import { assertJsonShape, assertWellFormed } from './text.js';

/** Deepest nesting accepted in message metadata and notification data. */
export const MAX_JSON_DEPTH = 32;

/**
 * A message's content as it will be stored: text and metadata valid Unicode (what is delivered live is then what
 * is read back later), metadata nested at most MAX_JSON_DEPTH levels. Every edge checks a send with it.
 */
export function assertSendContent(input: SendInput): SendInput {
  assertWellFormed(input.text, 'text');
  if (input.metadata !== null) assertJsonShape(input.metadata, 'metadata', MAX_JSON_DEPTH);
  return input;
}
