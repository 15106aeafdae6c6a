import { CLOSE_CODES } from '@parley/protocol';
import { useEffect, useState } from 'react';
import { useModel } from '../lib/use-model.js';

/** Says when messages cannot go out right now (offline, reconnecting) and how many are waiting. */
export function ConnectionBanner() {
  const model = useModel();
  const [lastCode, setLastCode] = useState<number | undefined>();
  useEffect(() => model.client.on('state', (s) => setLastCode(s.code)), [model]);
  const state = model.client.state;
  const queued = model.queuedCount();
  const waiting = queued > 0 ? ` ${queued} ${queued === 1 ? 'message' : 'messages'} waiting to be sent.` : '';
  let kind: 'offline' | 'reconnecting' | 'disconnected' | null = null;
  let text = '';
  if (!model.online) {
    kind = 'offline';
    text = `You're offline. Messages you write are kept and sent when you're back online.${waiting}`;
  } else if (state === 'reconnecting' || (state === 'connecting' && model.client.hello !== null)) {
    kind = 'reconnecting';
    text = `Reconnecting… Messages you write are queued.${waiting}`;
  } else if (state === 'disconnected') {
    kind = 'disconnected';
    text =
      lastCode === CLOSE_CODES.DEVICE_REVOKED
        ? 'This device was signed out from another device.'
        : `Disconnected from the server.${waiting}`;
  }
  return (
    <div className="banner-slot" role="status" aria-live="polite">
      {kind && (
        <div className={`banner banner-${kind}`} data-state={kind}>
          <span>{text}</span>
          {kind === 'disconnected' &&
            (lastCode === CLOSE_CODES.DEVICE_REVOKED ? (
              <button type="button" onClick={() => void model.signOut()}>
                Sign in again
              </button>
            ) : (
              <button type="button" onClick={() => model.client.connect()}>
                Reconnect
              </button>
            ))}
        </div>
      )}
    </div>
  );
}
