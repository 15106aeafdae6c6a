import { type FormEvent, useId, useState } from 'react';
import { authenticate } from '../lib/api.js';
import { deviceId } from '../lib/device.js';
import { apiBase } from '../lib/endpoints.js';
import { describeError } from '../lib/errors.js';
import type { AuthResponse } from '../lib/session.js';

interface Props {
  notice: string | null;
  onSignedIn: (res: AuthResponse) => void;
}

/** Sign in, or create an account (standalone mode: username and password). */
export function AuthScreen({ notice, onSignedIn }: Props) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const registering = mode === 'register';

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const displayName = String(form.get('display_name') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(
        await authenticate(apiBase(), mode, {
          username: String(form.get('username') ?? '').trim(),
          password: String(form.get('password') ?? ''),
          ...(registering && displayName ? { display_name: displayName } : {}),
          device_id: deviceId(),
        }),
      );
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <main className="auth">
      <div className="auth-card">
        <h1 className="brand-large">Parley</h1>
        <p className="muted">{registering ? 'Create your account' : 'Sign in to chat'}</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <form onSubmit={submit} className="form" aria-label={registering ? 'Create account' : 'Sign in'}>
          <label htmlFor={`${id}-u`}>Username</label>
          <input
            id={`${id}-u`}
            name="username"
            autoComplete="username"
            required
            minLength={registering ? 3 : 1}
            maxLength={32}
            pattern={registering ? '[A-Za-z0-9_.\\-]{3,32}' : undefined}
            title={registering ? '3 to 32 letters, digits, dots, dashes or underscores' : undefined}
          />
          {registering && (
            <>
              <label htmlFor={`${id}-d`}>Display name (optional)</label>
              <input id={`${id}-d`} name="display_name" autoComplete="name" maxLength={64} />
            </>
          )}
          <label htmlFor={`${id}-p`}>Password</label>
          <input
            id={`${id}-p`}
            name="password"
            type="password"
            autoComplete={registering ? 'new-password' : 'current-password'}
            required
            minLength={registering ? 8 : 1}
          />
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Please wait…' : registering ? 'Create account' : 'Sign in'}
          </button>
        </form>
        <p className="auth-switch">
          {registering ? 'Already have an account?' : 'New here?'}{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              setMode(registering ? 'login' : 'register');
              setError(null);
            }}
          >
            {registering ? 'Sign in' : 'Create an account'}
          </button>
        </p>
      </div>
    </main>
  );
}
