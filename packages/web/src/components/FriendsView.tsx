import { useModel } from '../lib/use-model.js';
import { AddFriendForm } from './AddFriendForm.js';
import { FriendItem } from './FriendItem.js';
import { RequestItem } from './RequestItem.js';

/** Add a friend by username; requests in and out; friends with their status, unread count and a chat button. */
export function FriendsView() {
  const model = useModel();
  const { friends, requests, loaded } = model.friends;
  return (
    <div className="panel">
      <div className="panel-header">
        <h2>Friends</h2>
      </div>
      <AddFriendForm />
      <p className="hint">
        Your username is <strong>@{model.profile.username ?? model.me}</strong>
      </p>
      {requests.incoming.length > 0 && (
        <section aria-labelledby="incoming-h">
          <h3 id="incoming-h" className="section-title">
            Friend requests
          </h3>
          <ul className="list" aria-label="Incoming friend requests">
            {requests.incoming.map((r) => (
              <RequestItem key={String(r.user.id)} user={r.user} direction="incoming" />
            ))}
          </ul>
        </section>
      )}
      {requests.outgoing.length > 0 && (
        <section aria-labelledby="outgoing-h">
          <h3 id="outgoing-h" className="section-title">
            Sent requests
          </h3>
          <ul className="list" aria-label="Sent friend requests">
            {requests.outgoing.map((r) => (
              <RequestItem key={String(r.user.id)} user={r.user} direction="outgoing" />
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="friends-h">
        <h3 id="friends-h" className="section-title">
          Friends {friends.length > 0 && <span className="muted">({friends.length})</span>}
        </h3>
        {!loaded ? (
          <p className="empty">Loading friends…</p>
        ) : friends.length === 0 ? (
          <p className="empty">No friends yet. Add someone by their username.</p>
        ) : (
          <ul className="list" aria-label="Friends">
            {friends.map((f) => (
              <FriendItem key={String(f.user.id)} friend={f} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
