import { renderUserId, type ServerEvent } from '@parley/protocol';
import type { ChangesSince } from '../../storage/records.js';
import { renderMessage } from '../../wire/render.js';

/**
 * The changes of one conversation after the client's revision, as canonical frames in revision order (C5): a
 * message after the seq the client holds is `msg.new`, one it holds is `msg.updated` (its current state), a
 * membership change is `conv.member`. A group edit is not replayed as a frame: the sync result's revision tells
 * the client its copy of the group is stale, and `conv.list` / `GET /v1/groups/:id` give the current one.
 */
export function changeFrames(changes: ChangesSince, heldSeq: number): ServerEvent[] {
  const frames: { rev: number; frame: ServerEvent }[] = [];
  for (const m of changes.messages) {
    frames.push({
      rev: m.rev,
      frame: { type: m.seq > heldSeq ? 'msg.new' : 'msg.updated', message: renderMessage(m) },
    });
  }
  for (const c of changes.changes) {
    if (c.kind === 'group.updated') continue;
    frames.push({
      rev: c.rev,
      frame: {
        type: 'conv.member',
        conversation_id: c.conversationId,
        user_id: renderUserId(c.userId),
        change: c.kind === 'member.added' ? 'added' : c.kind === 'member.removed' ? 'removed' : 'role',
        role: c.role,
        rev: c.rev,
      },
    });
  }
  return frames.sort((a, b) => a.rev - b.rev).map((f) => f.frame);
}
