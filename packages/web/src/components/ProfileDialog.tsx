import { type FormEvent, useId, useState } from 'react';
import { describeError } from '../lib/errors.js';
import { useModel } from '../lib/use-model.js';
import { Avatar } from './Avatar.js';
import { Dialog } from './Dialog.js';
import { Icon } from './Icon.js';

/** Display name and avatar URL; sign out. */
export function ProfileDialog({ onClose }: { onClose: () => void }) {
  const model = useModel();
  const id = useId();
  const [name, setName] = useState(model.profile.display_name);
  const [avatar, setAvatar] = useState(model.profile.avatar_url ?? '');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      await model.updateProfile({ display_name: name.trim(), avatar_url: avatar.trim() === '' ? null : avatar.trim() });
      setMessage({ ok: true, text: 'Profile saved' });
    } catch (err) {
      setMessage({ ok: false, text: describeError(err) });
    }
    setBusy(false);
  }

  return (
    <Dialog title="Your profile" onClose={onClose}>
      <div className="profile-summary">
        <Avatar id={model.me} name={name || '?'} url={avatar.trim() || null} size={56} />
        <div>
          <strong>{model.profile.display_name}</strong>
          <div className="muted">@{model.profile.username ?? model.me}</div>
        </div>
      </div>
      <form className="form" onSubmit={save} aria-label="Edit profile">
        <label htmlFor={`${id}-n`}>Display name</label>
        <input id={`${id}-n`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} />
        <label htmlFor={`${id}-a`}>Avatar URL</label>
        <input
          id={`${id}-a`}
          type="url"
          value={avatar}
          placeholder="https://…"
          onChange={(e) => setAvatar(e.target.value)}
          maxLength={2048}
        />
        {message && (
          <p className={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Save profile
        </button>
      </form>
      <hr />
      <button type="button" className="danger-outline" onClick={() => void model.signOut()}>
        <Icon name="logout" /> Sign out
      </button>
    </Dialog>
  );
}
