// Browser: one client per signed-in user, an outbox that survives reloads, and a state layer to render from.
import { ChatState, IndexedDbOutboxStore, ParleyClient } from '@parley/client';

export function startChat(options: { url: string; userId: string; getToken: () => Promise<string> }) {
  const client = new ParleyClient({
    url: options.url, // e.g. `wss://${location.host}/v1/ws`
    token: options.getToken, // called before connecting and before the token expires
    outboxStore: new IndexedDbOutboxStore(`parley-outbox-${options.userId}`),
    device: { id: deviceId(), type: 'web', name: navigator.userAgent.slice(0, 60) },
  });
  const state = new ChatState(client);

  // Render whatever you like from the state; here, the unread badge in the tab title.
  state.subscribe(() => {
    document.title = state.totalUnread > 0 ? `(${state.totalUnread}) Chat` : 'Chat';
  });
  // When the server says a backlog is too long to replay, page it in.
  client.on('must-page', (c) => void client.history(c.conversation_id, { after: c.from, limit: 200 }));

  client.connect();
  return { client, state };
}

function deviceId(): string {
  let id = localStorage.getItem('parley-device-id');
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem('parley-device-id', id);
  }
  return id;
}
