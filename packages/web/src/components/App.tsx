import type { WireUser } from '@parley/protocol';
import { useMemo, useState } from 'react';
import { Api } from '../lib/api.js';
import { apiBase } from '../lib/endpoints.js';
import { type AuthResponse, Session } from '../lib/session.js';
import { AuthScreen } from './AuthScreen.js';
import { ChatApp } from './ChatApp.js';

/** Signed out: the sign-in screen. Signed in: the chat, for that user (a new model per sign-in). */
export function App() {
  const [notice, setNotice] = useState<string | null>(null);
  const [session] = useState(
    () =>
      new Session(apiBase(), () => {
        setUser(null);
        setNotice('Your session has ended. Please sign in again.');
      }),
  );
  const [user, setUser] = useState<WireUser | null>(() => session.user);
  const api = useMemo(() => new Api(apiBase(), session), [session]);

  if (!user) {
    return (
      <AuthScreen
        notice={notice}
        onSignedIn={(res: AuthResponse) => {
          session.store(res);
          setNotice(null);
          setUser(res.user);
        }}
      />
    );
  }
  return (
    <ChatApp
      key={String(user.id)}
      api={api}
      session={session}
      profile={user}
      onSignedOut={() => {
        setNotice(null);
        setUser(null);
      }}
    />
  );
}
