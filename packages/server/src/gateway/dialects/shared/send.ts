import { toAppError } from '../../../errors.js';
import type { SendInput, SendResult } from '../../../services/message-service.js';
import { assertSendContent } from '../../../validation/send-content.js';
import type { Connection } from '../../connection.js';
import type { SeedContext } from '../seed-context.js';

/** A send as the seeds write it: text only, with the client's idempotency key if it gave one. */
export function textInput(
  target: { conversationId: string } | { toUserId: string },
  text: string,
  clientMsgId: string | null = null,
): SendInput {
  return { ...target, clientMsgId, text, kind: 'text', metadata: null, replyTo: null };
}

/**
 * Queues a message and replies once it is durable (D1), without holding up the connection's next frame (so
 * messages sent back to back keep their order). `echo` also pushes it to this connection, for seeds whose
 * clients learn their own message from the push. Refusals, early or late, go to `failed`.
 */
export async function sendThen(
  ctx: SeedContext,
  conn: Connection,
  input: SendInput,
  done: (result: SendResult) => void,
  failed: (error: ReturnType<typeof toAppError>) => void,
  echo = false,
): Promise<void> {
  try {
    const { committed } = await ctx.messages.submit(
      conn.userId as string,
      assertSendContent(input),
      echo ? undefined : conn.id,
    );
    ctx.replies.track(committed.then(done, (err) => failed(toAppError(err))));
  } catch (err) {
    failed(toAppError(err));
  }
}
