import { type FormEvent, useId, useState } from 'react';
import { describeError } from '../lib/errors.js';
import { useModel } from '../lib/use-model.js';
import { Icon } from './Icon.js';

/** Sends a friend request to a username. */
export function AddFriendForm() {
  const model = useModel();
  const id = useId();
  const [name, setName] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    try {
      setResult({ ok: true, text: await model.friends.add(name.replace(/^@/, '')) });
      setName('');
    } catch (err) {
      setResult({ ok: false, text: describeError(err) });
    }
    setBusy(false);
  }

  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add a friend">
      <label htmlFor={id} className="sr-only">
        Username to add as a friend
      </label>
      <input
        id={id}
        value={name}
        onChange={(e) => setName(e.target.value)}
        placeholder="Add a friend by username"
        autoComplete="off"
        maxLength={33}
      />
      <button type="submit" className="primary small" disabled={busy || !name.trim()}>
        <Icon name="userPlus" size={16} /> Add
      </button>
      {result && (
        <p className={result.ok ? 'success' : 'error'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
        </p>
      )}
    </form>
  );
}
