import { parseUserId } from '@parley/protocol';
import { AppError } from '../errors.js';
import type { SendInput } from '../services/message-service.js';
import { assertSendContent } from './send-content.js';
import { type Obj, optInt, optNullableStr, optStr } from './validate.js';

/** Parsers shared by the REST and WebSocket edges, so both refuse the same input the same way. */

export const CLIENT_MSG_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
export const KIND = /^[a-z][a-z0-9_.-]{0,31}$/;
export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;

export function parseSendInput(o: Obj): SendInput {
  const conversationId = optStr(o, 'conversation_id', { max: 200 });
  const toRaw = o.to_user_id;
  const toUserId = toRaw === undefined ? undefined : parseUserId(toRaw);
  if (toUserId === null)
    throw new AppError('VALIDATION_FAILED', 'to_user_id is not a valid user id', { field: 'to_user_id' });
  if ((conversationId === undefined) === (toUserId === undefined)) {
    throw new AppError('VALIDATION_FAILED', 'give exactly one of conversation_id and to_user_id', {
      field: 'conversation_id',
    });
  }
  if (typeof o.text !== 'string') throw new AppError('VALIDATION_FAILED', 'text must be a string', { field: 'text' });
  const metadata = o.metadata;
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw new AppError('VALIDATION_FAILED', 'metadata must be a JSON object', { field: 'metadata' });
  }
  return assertSendContent({
    conversationId,
    toUserId,
    clientMsgId: optStr(o, 'client_msg_id', { max: 64, pattern: CLIENT_MSG_ID }) ?? null,
    text: o.text,
    kind: optStr(o, 'kind', { max: 32, pattern: KIND }) ?? 'text',
    metadata: (metadata as Record<string, unknown> | undefined) ?? null,
    replyTo: optNullableStr(o, 'reply_to', { max: 20, pattern: /^\d+$/ }) ?? null,
  });
}

export interface HistoryInput {
  before?: number;
  after?: number;
  offset?: number;
  limit: number;
}

export function parseHistoryQuery(o: Obj): HistoryInput {
  const q: HistoryInput = { limit: optInt(o, 'limit', { min: 1, max: MAX_PAGE }) ?? DEFAULT_PAGE };
  const before = optInt(o, 'before', { min: 1, max: Number.MAX_SAFE_INTEGER });
  const after = optInt(o, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER });
  const offset = optInt(o, 'offset', { min: 0, max: 1_000_000 });
  if (offset !== undefined && (before !== undefined || after !== undefined)) {
    throw new AppError('VALIDATION_FAILED', 'offset cannot be combined with before/after', { field: 'offset' });
  }
  if (before !== undefined) q.before = before;
  if (after !== undefined) q.after = after;
  if (offset !== undefined) q.offset = offset;
  return q;
}
