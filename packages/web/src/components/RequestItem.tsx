import type { WireUser } from '@parley/protocol';
import { useState } from 'react';
import { describeError } from '../lib/errors.js';
import { useModel } from '../lib/use-model.js';
import { Avatar } from './Avatar.js';

interface Props {
  user: WireUser;
  direction: 'incoming' | 'outgoing';
}

/** A pending friend request: accept or decline one received, cancel one sent. */
export function RequestItem({ user, direction }: Props) {
  const model = useModel();
  const [error, setError] = useState<string | null>(null);
  const name = user.display_name;
  const act = (fn: () => Promise<void>) => () => {
    setError(null);
    fn().catch((err) => setError(describeError(err)));
  };
  return (
    <li className="row request" data-user={String(user.id)}>
      <Avatar id={String(user.id)} name={name} url={user.avatar_url} size={36} />
      <span className="row-main">
        <span className="row-title">{name}</span>
        <span className="row-preview">{direction === 'incoming' ? 'Friend request' : 'Request sent'}</span>
        {error && (
          <span className="error" role="alert">
            {error}
          </span>
        )}
      </span>
      <span className="row-actions">
        {direction === 'incoming' ? (
          <>
            <button
              type="button"
              className="primary small"
              aria-label={`Accept ${name}`}
              onClick={act(() => model.friends.accept(user.id))}
            >
              Accept
            </button>
            <button
              type="button"
              className="secondary small"
              aria-label={`Decline ${name}`}
              onClick={act(() => model.friends.decline(user.id))}
            >
              Decline
            </button>
          </>
        ) : (
          <button
            type="button"
            className="secondary small"
            aria-label={`Cancel request to ${name}`}
            onClick={act(() => model.friends.cancel(user.id))}
          >
            Cancel
          </button>
        )}
      </span>
    </li>
  );
}
