import { type FormEvent, useId, useState } from 'react';
import { describeError } from '../lib/errors.js';
import { useModel } from '../lib/use-model.js';
import { Dialog } from './Dialog.js';
import { FriendPicker, toggled } from './FriendPicker.js';

/** Names a new group and picks its first members among friends; opens its chat. */
export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const model = useModel();
  const id = useId();
  const [name, setName] = useState('');
  const [members, setMembers] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      await model.createGroup(name.trim(), [...members]);
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <Dialog title="New group" onClose={onClose}>
      <form className="form" onSubmit={create} aria-label="Create a group">
        <label htmlFor={id}>Group name</label>
        <input id={id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        <FriendPicker
          friends={model.friends.friends}
          selected={members}
          onToggle={(u) => setMembers((s) => toggled(s, u))}
          label="Members"
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || name.trim() === ''}>
          Create group
        </button>
      </form>
    </Dialog>
  );
}
