import type { TimelineEntry } from '@parley/client';
import { clockTime } from '../lib/format.js';
import { entryTime } from '../lib/timeline.js';
import { useModel } from '../lib/use-model.js';
import { StatusTicks } from './StatusTicks.js';

interface Props {
  entry: TimelineEntry;
  senderId: string;
  showSender: boolean;
  group: boolean;
}

/** A message: own on the right with its status, others' on the left (with the sender's name in groups). */
export function MessageBubble({ entry, senderId, showSender, group }: Props) {
  const model = useModel();
  const own = senderId === model.me;
  const text = entry.kind === 'message' ? entry.message.text : entry.item.text;
  const time = entryTime(entry);
  const status = entry.status;
  const readBy = own && group && entry.kind === 'message' ? model.chat.readBy(entry.message) : null;
  const failure = entry.kind === 'pending' ? entry.item.failure : null;
  return (
    <li className={own ? 'message own' : 'message'} data-status={status ?? undefined}>
      {group && showSender && !own && <span className="sender">{model.name(senderId)}</span>}
      <div className="bubble">
        <span className="sr-only">{own ? 'You' : model.name(senderId)}: </span>
        <p className="text">{text}</p>
        <span className="meta">
          <time dateTime={time}>{clockTime(time)}</time>
          {readBy && readBy.of > 0 && (
            <span className="read-by">
              Read by {readBy.read} of {readBy.of}
            </span>
          )}
          {own && status && <StatusTicks status={status} />}
        </span>
      </div>
      {entry.kind === 'pending' && failure && (
        <div className="failed" role="alert">
          <span>Not sent: {failure.message}</span>
          <button type="button" className="link" onClick={() => void model.client.retry(entry.item.clientMsgId)}>
            Retry
          </button>
          <button type="button" className="link" onClick={() => void model.client.discard(entry.item.clientMsgId)}>
            Discard
          </button>
        </div>
      )}
    </li>
  );
}
