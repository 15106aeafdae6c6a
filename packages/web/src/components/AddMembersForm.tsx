import { type FormEvent, useState } from 'react';
import { useModel } from '../lib/use-model.js';
import { FriendPicker, toggled } from './FriendPicker.js';

/** Adds friends who are not members yet. */
export function AddMembersForm({ conversationId, onError }: { conversationId: string; onError: (e: unknown) => void }) {
  const model = useModel();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const members = new Set((model.groups.membersOf(conversationId) ?? []).map((m) => String(m.user.id)));
  const candidates = model.friends.friends.filter((f) => !members.has(String(f.user.id)));
  if (candidates.length === 0) return null;

  async function add(e: FormEvent) {
    e.preventDefault();
    try {
      await model.groups.add(conversationId, [...selected]);
      setSelected(new Set());
    } catch (err) {
      onError(err);
    }
  }

  return (
    <form className="form" onSubmit={add} aria-label="Add members">
      <FriendPicker
        friends={candidates}
        selected={selected}
        onToggle={(u) => setSelected((s) => toggled(s, u))}
        label="Add friends to the group"
      />
      <button type="submit" className="secondary small" disabled={selected.size === 0}>
        Add to group
      </button>
    </form>
  );
}
