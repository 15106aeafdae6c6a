import { useEffect, useLayoutEffect, useRef } from 'react';
import { dayKey, dayLabel } from '../lib/format.js';
import { rows } from '../lib/timeline.js';
import { useModel } from '../lib/use-model.js';
import { MessageBubble } from './MessageBubble.js';

/**
 * The conversation, oldest first, with day separators. Stays scrolled to the newest message while the user is at
 * the bottom; scrolling near the top loads the previous page and keeps the view where it was.
 */
export function MessageList({ conversationId }: { conversationId: string }) {
  const model = useModel();
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const pager = model.history.state(conversationId);
  const group = model.isGroup(conversationId);
  const list = rows(model.chat.timeline(conversationId), model.me, dayKey, (iso) => dayLabel(iso));

  function loadOlder() {
    const el = scroller.current;
    if (!el || pager.loading || !pager.hasMore) return;
    anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    model.loadOlder(conversationId);
  }

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      if (el.scrollHeight !== anchor.current.height) {
        el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
        anchor.current = null;
      } else if (!pager.loading) anchor.current = null;
      return;
    }
    if (stick.current) el.scrollTop = el.scrollHeight;
  });

  useEffect(() => {
    // older messages exist but the list does not fill the window yet, so it cannot be scrolled: fetch them
    const el = scroller.current;
    if (el && pager.loaded && pager.hasMore && !pager.loading && el.scrollHeight <= el.clientHeight + 8) loadOlder();
  });

  return (
    <div
      className="messages"
      ref={scroller}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
        if (el.scrollTop < 80) loadOlder();
      }}
    >
      <div className="history-edge">
        {pager.loading ? (
          <span className="muted">Loading earlier messages…</span>
        ) : pager.hasMore && list.length > 0 ? (
          <button type="button" className="link" onClick={loadOlder}>
            Load earlier messages
          </button>
        ) : pager.loaded && list.length > 0 ? (
          <span className="muted">Start of the conversation</span>
        ) : null}
      </div>
      {list.length === 0 && !pager.loading && <p className="empty">No messages yet. Say hello!</p>}
      <ol className="message-log" role="log" aria-label="Messages" aria-live="polite">
        {list.map((row) =>
          row.type === 'day' ? (
            <li key={row.key} className="day-separator">
              <span>{row.label}</span>
            </li>
          ) : (
            <MessageBubble
              key={row.key}
              entry={row.entry}
              senderId={row.senderId}
              showSender={row.showSender}
              group={group}
            />
          ),
        )}
      </ol>
    </div>
  );
}
