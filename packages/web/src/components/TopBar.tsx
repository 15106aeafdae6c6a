import { useState } from 'react';
import { useModel } from '../lib/use-model.js';
import { Avatar } from './Avatar.js';
import { Badge } from './Badge.js';
import { Icon } from './Icon.js';
import { PresenceSelector } from './PresenceSelector.js';
import { ProfileDialog } from './ProfileDialog.js';

/** Brand, own status, the notification bell and the profile menu. */
export function TopBar() {
  const model = useModel();
  const [profileOpen, setProfileOpen] = useState(false);
  const unread = model.notifications.unread;
  return (
    <header className="topbar">
      <span className="brand">Parley</span>
      <div className="topbar-actions">
        <PresenceSelector />
        <button
          type="button"
          className="icon-button bell"
          aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'}
          onClick={() => model.setTab('notifications')}
        >
          <Icon name="bell" size={20} />
          <Badge count={unread} label="unread notifications" />
        </button>
        <button
          type="button"
          className="profile-button"
          aria-label="Profile and settings"
          onClick={() => setProfileOpen(true)}
        >
          <Avatar id={model.me} name={model.profile.display_name} url={model.profile.avatar_url} size={32} />
          <span className="profile-name">{model.profile.display_name}</span>
        </button>
      </div>
      {profileOpen && <ProfileDialog onClose={() => setProfileOpen(false)} />}
    </header>
  );
}
