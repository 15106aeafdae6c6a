import { type KeyboardEvent, useId } from 'react';
import type { Tab } from '../lib/model.js';
import { useModel } from '../lib/use-model.js';
import { Badge } from './Badge.js';
import { ConversationList } from './ConversationList.js';
import { FriendsView } from './FriendsView.js';
import { NotificationCentre } from './NotificationCentre.js';

const TABS: { tab: Tab; label: string }[] = [
  { tab: 'chats', label: 'Chats' },
  { tab: 'friends', label: 'Friends' },
  { tab: 'notifications', label: 'Notifications' },
];

/** Three views behind tabs (arrow keys move between them): chats, friends, notifications. */
export function Sidebar() {
  const model = useModel();
  const id = useId();
  const counts: Record<Tab, { n: number; label: string }> = {
    chats: { n: model.chat.totalUnread, label: 'unread messages' },
    friends: { n: model.friends.requests.incoming.length, label: 'friend requests' },
    notifications: { n: model.notifications.unread, label: 'unread notifications' },
  };
  function onKey(e: KeyboardEvent) {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const focused = TABS.findIndex((t) => `${id}-${t.tab}` === (e.target as HTMLElement).id);
    const i = focused >= 0 ? focused : TABS.findIndex((t) => t.tab === model.tab);
    const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length] as (typeof TABS)[number];
    model.setTab(next.tab);
    document.getElementById(`${id}-${next.tab}`)?.focus();
  }
  return (
    <nav className="sidebar" aria-label="Chats, friends and notifications">
      <div className="tabs" role="tablist" aria-label="Views" onKeyDown={onKey}>
        {TABS.map(({ tab, label }) => (
          <button
            key={tab}
            id={`${id}-${tab}`}
            type="button"
            role="tab"
            aria-selected={model.tab === tab}
            aria-controls={`${id}-panel`}
            tabIndex={model.tab === tab ? 0 : -1}
            className="tab"
            onClick={() => model.setTab(tab)}
          >
            {label}
            <Badge count={counts[tab].n} label={counts[tab].label} />
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-${model.tab}`}>
        {model.tab === 'chats' && <ConversationList />}
        {model.tab === 'friends' && <FriendsView />}
        {model.tab === 'notifications' && <NotificationCentre />}
      </div>
    </nav>
  );
}
