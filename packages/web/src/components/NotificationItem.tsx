import type { WireNotification } from '@parley/protocol';
import { listTime } from '../lib/format.js';
import { useModel } from '../lib/use-model.js';

/** One notification; unread ones have a mark-read button. */
export function NotificationItem({ notification: n }: { notification: WireNotification }) {
  const model = useModel();
  const unread = n.read_at === null;
  const link = n.link && /^https?:\/\//.test(n.link) ? n.link : null; // never a javascript: URL from a host
  return (
    <li className={`row notification${unread ? ' unread' : ''}`} data-notification={n.id}>
      <span className="row-main">
        <span className="row-top">
          <span className="row-title">
            {unread && <span className="unread-dot" aria-label="Unread" role="img" />}
            {n.title}
          </span>
          <time className="row-time" dateTime={n.created_at}>
            {listTime(n.created_at)}
          </time>
        </span>
        {n.body && <span className="notification-body">{n.body}</span>}
        {link || unread ? (
          <span className="notification-actions">
            {link && (
              <a href={link} target="_blank" rel="noreferrer noopener">
                Open link
              </a>
            )}
            {unread && (
              <button
                type="button"
                className="secondary small"
                aria-label={`Mark “${n.title}” as read`}
                onClick={() => void model.notifications.markRead([n.id]).catch(() => {})}
              >
                Mark read
              </button>
            )}
          </span>
        ) : null}
      </span>
    </li>
  );
}
