import type { WireGroupMember } from '@parley/protocol';
import { useModel } from '../lib/use-model.js';
import { Avatar } from './Avatar.js';
import { PresenceDot } from './PresenceDot.js';

interface Props {
  conversationId: string;
  member: WireGroupMember;
  onError: (err: unknown) => void;
}

/** A group member with their role; admins and the owner may remove those below them. */
export function MemberItem({ conversationId, member, onError }: Props) {
  const model = useModel();
  const id = String(member.user.id);
  const name = id === model.me ? `${member.user.display_name} (you)` : member.user.display_name;
  return (
    <li className="row member" data-user={id}>
      <span className="avatar-wrap">
        <Avatar id={id} name={member.user.display_name} url={member.user.avatar_url} size={32} />
        <PresenceDot presence={id === model.me ? model.ownPresence() : model.presenceOf(id)} />
      </span>
      <span className="row-main">
        <span className="row-title">{name}</span>
        <span className={`role role-${member.role}`}>{member.role}</span>
      </span>
      {model.groups.canRemove(conversationId, member) && (
        <button
          type="button"
          className="secondary small"
          aria-label={`Remove ${member.user.display_name} from the group`}
          onClick={() => model.groups.remove(conversationId, member.user.id).catch(onError)}
        >
          Remove
        </button>
      )}
    </li>
  );
}
