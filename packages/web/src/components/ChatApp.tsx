import type { WireUser } from '@parley/protocol';
import { useEffect, useRef, useState } from 'react';
import type { Api } from '../lib/api.js';
import { ChatModel } from '../lib/model.js';
import type { Session } from '../lib/session.js';
import { ModelContext } from '../lib/use-model.js';
import { Shell } from './Shell.js';

interface Props {
  api: Api;
  session: Session;
  profile: WireUser;
  onSignedOut: () => void;
}

/** Owns the chat model of the signed-in user for as long as this is mounted (connects, then disconnects). */
export function ChatApp(props: Props) {
  const init = useRef(props);
  const [model, setModel] = useState<ChatModel | null>(null);
  useEffect(() => {
    const { api, session, profile, onSignedOut } = init.current;
    const m = new ChatModel(api, session, profile, onSignedOut);
    m.start();
    setModel(m);
    return () => m.stop();
  }, []);
  if (!model) return null;
  return (
    <ModelContext value={model}>
      <Shell />
    </ModelContext>
  );
}
