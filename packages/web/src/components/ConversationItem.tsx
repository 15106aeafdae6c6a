import type { WireConversation } from '@parley/protocol';
import { listTime } from '../lib/format.js';
import { useModel } from '../lib/use-model.js';
import { Avatar } from './Avatar.js';
import { Badge } from './Badge.js';
import { PresenceDot } from './PresenceDot.js';

/** One row of the chat list: who, the last message, when, unread count, online dot. */
export function ConversationItem({ conversation: c }: { conversation: WireConversation }) {
  const model = useModel();
  const title = model.title(c.id);
  const avatar = model.avatarOf(c.id);
  const peer = model.peerId(c.id);
  const typing = model.chat.typing(c.id).filter((u) => u !== model.me);
  const last = c.last_message;
  const sender = last ? String(last.sender_id) : null;
  const prefix = !last ? '' : sender === model.me ? 'You: ' : c.group ? `${model.name(sender as string)}: ` : '';
  const preview = typing.length > 0 ? 'typing…' : last ? `${prefix}${last.text}` : 'No messages yet';
  const open = model.windows.some((w) => w.conversationId === c.id);
  return (
    <li>
      <button
        type="button"
        className={`row conversation${c.unread_count > 0 ? ' unread' : ''}`}
        aria-current={open ? 'true' : undefined}
        data-conversation={c.id}
        onClick={() => model.open(c.id)}
      >
        <span className="avatar-wrap">
          <Avatar id={avatar.id} name={avatar.name} url={avatar.url} group={c.kind === 'group'} />
          {peer !== null && <PresenceDot presence={model.presenceOf(peer)} />}
        </span>
        <span className="row-main">
          <span className="row-top">
            <span className="row-title">{title}</span>
            <time className="row-time" dateTime={c.last_activity_at}>
              {last ? listTime(c.last_activity_at) : ''}
            </time>
          </span>
          <span className="row-bottom">
            <span className={typing.length > 0 ? 'row-preview typing' : 'row-preview'}>{preview}</span>
            <Badge count={c.unread_count} label="unread" />
          </span>
        </span>
      </button>
    </li>
  );
}
