import { type FormEvent, useId, useState } from 'react';
import { describeError } from '../lib/errors.js';
import { useModel } from '../lib/use-model.js';
import { AddMembersForm } from './AddMembersForm.js';
import { MemberItem } from './MemberItem.js';

interface Props {
  conversationId: string;
  onDone: () => void;
}

/** A group's settings: rename (admins), members with roles, add and remove (admins), leave. */
export function GroupPanel({ conversationId, onDone }: Props) {
  const model = useModel();
  const id = useId();
  const [name, setName] = useState(model.title(conversationId));
  const [error, setError] = useState<string | null>(null);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const members = model.groups.membersOf(conversationId);
  const canManage = model.groups.canManage(conversationId);
  const fail = (err: unknown) => setError(describeError(err));

  async function rename(e: FormEvent) {
    e.preventDefault();
    try {
      await model.renameGroup(conversationId, name.trim());
      onDone();
    } catch (err) {
      fail(err);
    }
  }

  return (
    <div className="group-panel">
      {canManage && (
        <form className="inline-form" onSubmit={rename} aria-label="Rename the group">
          <label htmlFor={id} className="sr-only">
            Group name
          </label>
          <input id={id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
          <button type="submit" className="primary small" disabled={name.trim() === ''}>
            Rename
          </button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <h3 className="section-title">Members {members && <span className="muted">({members.length})</span>}</h3>
      {!members ? (
        <p className="empty">Loading members…</p>
      ) : (
        <ul className="list" aria-label="Group members">
          {members.map((m) => (
            <MemberItem key={String(m.user.id)} conversationId={conversationId} member={m} onError={fail} />
          ))}
        </ul>
      )}
      {canManage && <AddMembersForm conversationId={conversationId} onError={fail} />}
      <div className="leave">
        {confirmLeave ? (
          <>
            <span>Leave this group?</span>
            <button type="button" className="danger small" onClick={() => model.leaveGroup(conversationId).catch(fail)}>
              Yes, leave
            </button>
            <button type="button" className="secondary small" onClick={() => setConfirmLeave(false)}>
              Stay
            </button>
          </>
        ) : (
          <button type="button" className="danger-outline small" onClick={() => setConfirmLeave(true)}>
            Leave group
          </button>
        )}
      </div>
    </div>
  );
}
