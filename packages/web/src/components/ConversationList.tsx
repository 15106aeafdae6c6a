import { useState } from 'react';
import { useModel } from '../lib/use-model.js';
import { ConversationItem } from './ConversationItem.js';
import { Icon } from './Icon.js';
import { NewGroupDialog } from './NewGroupDialog.js';

/** Conversations by latest activity, with a button to start a group. */
export function ConversationList() {
  const model = useModel();
  const [creating, setCreating] = useState(false);
  const list = model.chat.conversationList();
  const loading = model.client.hello === null && list.length === 0;
  return (
    <div className="panel">
      <div className="panel-header">
        <h2>Chats</h2>
        <button type="button" className="secondary small" onClick={() => setCreating(true)}>
          <Icon name="plus" size={16} /> New group
        </button>
      </div>
      {loading ? (
        <p className="empty">Loading conversations…</p>
      ) : list.length === 0 ? (
        <p className="empty">No conversations yet. Add a friend and say hello.</p>
      ) : (
        <ul className="list" aria-label="Conversations">
          {list.map((c) => (
            <ConversationItem key={c.id} conversation={c} />
          ))}
        </ul>
      )}
      {creating && <NewGroupDialog onClose={() => setCreating(false)} />}
    </div>
  );
}
