import { parseConversationId, parseUserId } from '@parley/protocol';
import { AppError } from '../../../errors.js';
import type { SendInput } from '../../../services/message-service.js';
import { KIND } from '../../../validation/inputs.js';
import type { Obj } from '../../../validation/validate.js';
import { optionalClientMsgId } from '../shared/client-msg-id.js';

/**
 * Seed 002's `send_message{session_id, from_user_id, message, role, message_type, reply_to_message_id}` as a send:
 * session_id is a conversation id (`to_user_id` may name a direct conversation instead); from_user_id, when
 * given, must be the registered user; role is kept in the message's metadata; message_type is the message kind.
 * Parley adds an optional `client_msg_id`: a resend with it is stored once and answered with the original.
 */
export function parseSendMessage(me: string, p: Obj): SendInput {
  const from = p.from_user_id === undefined || p.from_user_id === null ? null : parseUserId(p.from_user_id);
  if (from !== null && from !== me) {
    throw new AppError('FORBIDDEN', 'from_user_id is not the registered user', { field: 'from_user_id' });
  }
  if (typeof p.message !== 'string') {
    throw new AppError('VALIDATION_FAILED', 'message must be a string', { field: 'message' });
  }
  const kind = p.message_type === undefined || p.message_type === null ? 'text' : p.message_type;
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    throw new AppError('VALIDATION_FAILED', 'message_type is not a type name', { field: 'message_type' });
  }
  const reply = p.reply_to_message_id;
  if (reply !== undefined && reply !== null && !/^\d{1,16}$/.test(String(reply))) {
    throw new AppError('VALIDATION_FAILED', 'reply_to_message_id is not a message id', {
      field: 'reply_to_message_id',
    });
  }
  const common = {
    clientMsgId: optionalClientMsgId(p.client_msg_id),
    text: p.message,
    kind,
    metadata: typeof p.role === 'string' && p.role !== '' ? { role: p.role.slice(0, 32) } : null,
    replyTo: reply === undefined || reply === null ? null : String(reply),
  };
  if (typeof p.session_id === 'string' && parseConversationId(p.session_id) !== null) {
    return { ...common, conversationId: p.session_id };
  }
  const to = p.to_user_id === undefined || p.to_user_id === null ? null : parseUserId(p.to_user_id);
  if (to !== null) return { ...common, toUserId: to };
  throw new AppError('VALIDATION_FAILED', 'session_id must be a conversation id (dm:<a>:<b> or g:<n>)', {
    field: 'session_id',
  });
}
