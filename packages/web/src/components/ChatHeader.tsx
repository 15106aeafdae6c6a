import { presenceText } from '../lib/format.js';
import { useModel } from '../lib/use-model.js';
import { Avatar } from './Avatar.js';
import { Badge } from './Badge.js';
import { Icon } from './Icon.js';
import { PresenceDot } from './PresenceDot.js';

interface Props {
  conversationId: string;
  minimised: boolean;
  groupOpen: boolean;
  onToggleGroup: () => void;
}

/** Who the chat is with and their presence (or the group's size); group info, minimise, close. */
export function ChatHeader({ conversationId, minimised, groupOpen, onToggleGroup }: Props) {
  const model = useModel();
  const title = model.title(conversationId);
  const avatar = model.avatarOf(conversationId);
  const peer = model.peerId(conversationId);
  const presence = peer !== null ? model.presenceOf(peer) : undefined;
  const group = model.chat.conversations.get(conversationId)?.group;
  const members = model.groups.membersOf(conversationId)?.length ?? group?.member_count;
  const subtitle = peer !== null ? presenceText(presence) : members ? `${members} members` : 'Group';
  const identity = (
    <>
      <span className="avatar-wrap">
        <Avatar id={avatar.id} name={avatar.name} url={avatar.url} size={32} group={peer === null} />
        {peer !== null && <PresenceDot presence={presence} />}
      </span>
      <span className="chat-title-text">
        <span className="chat-name">{title}</span>
        <span className="chat-presence" data-presence={presence?.status ?? ''}>
          {subtitle}
        </span>
      </span>
      {minimised && <Badge count={model.unreadOf(conversationId)} label="unread" />}
    </>
  );
  return (
    <header className="chat-header">
      {model.narrow && (
        <button
          type="button"
          className="icon-button"
          aria-label="Back to chats"
          onClick={() => model.close(conversationId)}
        >
          <Icon name="back" size={20} />
        </button>
      )}
      {model.narrow ? (
        <div className="chat-title">{identity}</div>
      ) : (
        // the whole title bar restores or minimises with the mouse; the minimise button does it by keyboard
        <button
          type="button"
          className="chat-title"
          tabIndex={-1}
          onClick={() => model.toggleMinimised(conversationId)}
        >
          {identity}
        </button>
      )}
      {peer === null && !minimised && (
        <button
          type="button"
          className="icon-button"
          aria-label={groupOpen ? 'Back to messages' : 'Group members and settings'}
          aria-pressed={groupOpen}
          onClick={onToggleGroup}
        >
          <Icon name={groupOpen ? 'chat' : 'users'} />
        </button>
      )}
      {!model.narrow && (
        <>
          <button
            type="button"
            className="icon-button"
            aria-label={minimised ? `Restore chat with ${title}` : `Minimise chat with ${title}`}
            onClick={() => model.toggleMinimised(conversationId)}
          >
            <Icon name={minimised ? 'plus' : 'minus'} />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={`Close chat with ${title}`}
            onClick={() => model.close(conversationId)}
          >
            <Icon name="x" />
          </button>
        </>
      )}
    </header>
  );
}
