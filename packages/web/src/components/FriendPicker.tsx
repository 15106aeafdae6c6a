import type { WireFriend } from '@parley/protocol';

interface Props {
  friends: readonly WireFriend[];
  selected: ReadonlySet<string>;
  onToggle: (userId: string) => void;
  label: string;
}

/** Checkboxes of friends, to choose group members. */
export function FriendPicker({ friends, selected, onToggle, label }: Props) {
  if (friends.length === 0) return <p className="empty">No friends to add.</p>;
  return (
    <fieldset className="picker">
      <legend>{label}</legend>
      {friends.map((f) => {
        const id = String(f.user.id);
        return (
          <label key={id} className="picker-item">
            <input type="checkbox" checked={selected.has(id)} onChange={() => onToggle(id)} />
            {f.user.display_name}
          </label>
        );
      })}
    </fieldset>
  );
}

/** A set with one id toggled. */
export function toggled(set: ReadonlySet<string>, id: string): Set<string> {
  const next = new Set(set);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}
