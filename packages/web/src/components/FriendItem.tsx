import type { WireFriend } from '@parley/protocol';
import { presenceText } from '../lib/format.js';
import { useModel } from '../lib/use-model.js';
import { Avatar } from './Avatar.js';
import { Badge } from './Badge.js';
import { Icon } from './Icon.js';
import { PresenceDot } from './PresenceDot.js';

/** A friend: picture with online dot, status, unread count of your chat, and a chat button. */
export function FriendItem({ friend }: { friend: WireFriend }) {
  const model = useModel();
  const id = String(friend.user.id);
  const presence = model.presenceOf(id) ?? friend.presence;
  const conversation = model.dmWith(id);
  const name = friend.user.display_name;
  return (
    <li className="row friend" data-user={id}>
      <span className="avatar-wrap">
        <Avatar id={id} name={name} url={friend.user.avatar_url} />
        <PresenceDot presence={presence} />
      </span>
      <span className="row-main">
        <span className="row-title">{name}</span>
        <span className="row-preview">{presenceText(presence)}</span>
      </span>
      <span className="row-actions">
        <Badge count={model.unreadOf(conversation)} label="unread" />
        <button
          type="button"
          className="secondary small"
          aria-label={`Chat with ${name}`}
          onClick={() => model.open(conversation)}
        >
          <Icon name="chat" size={16} /> Chat
        </button>
      </span>
    </li>
  );
}
