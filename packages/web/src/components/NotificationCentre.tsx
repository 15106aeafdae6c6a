import { useModel } from '../lib/use-model.js';
import { NotificationItem } from './NotificationItem.js';

/** The notification inbox: unread count, mark read, and desktop notifications once the user allows them. */
export function NotificationCentre() {
  const model = useModel();
  const { list, unread } = model.notifications;
  const permission = model.desktop.permission();
  return (
    <div className="panel">
      <div className="panel-header">
        <h2>Notifications</h2>
        <button
          type="button"
          className="secondary small"
          disabled={unread === 0}
          onClick={() => void model.notifications.markRead(null).catch(() => {})}
        >
          Mark all read
        </button>
      </div>
      <div className="desktop-toggle">
        <span className="unread-count">{unread === 0 ? 'All read' : `${unread} unread`}</span>
        {permission === 'default' && (
          <button type="button" className="link" onClick={() => void model.enableDesktopNotifications()}>
            Enable desktop notifications
          </button>
        )}
        {permission === 'granted' && <span className="muted">Desktop notifications are on.</span>}
        {permission === 'denied' && (
          <span className="muted">Desktop notifications are blocked in this browser's site settings.</span>
        )}
      </div>
      {list.length === 0 ? (
        <p className="empty">Nothing here yet.</p>
      ) : (
        <ul className="list" aria-label="Notifications">
          {list.map((n) => (
            <NotificationItem key={n.id} notification={n} />
          ))}
        </ul>
      )}
    </div>
  );
}
