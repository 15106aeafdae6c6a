// Node: connect, listen, send. Run with a token your backend issued (or one from POST /v1/auth/login).
import { createNodeClient } from '@parley/client/node';

export async function quickstart(url: string, token: string, peerId: number | string) {
  const client = createNodeClient({ url, token, device: { id: 'node-bot-1', name: 'Reminder bot', type: 'other' } });

  client.on('state', (s) => console.log(`connection: ${s.previous} -> ${s.state}`));
  client.on('message', (m) => console.log(`#${m.seq} ${m.sender_id}: ${m.text}`)); // each message exactly once
  client.on('sent', ({ message }) => console.log(`stored as ${message.conversation_id}#${message.seq}`));
  client.on('error', (e) => console.error(`${e.code}: ${e.message}`));

  client.connect();
  // Safe before the connection is up: the outbox sends it as soon as it can, exactly once.
  await client.send({ toUserId: peerId }, 'Hello from Node');
  return client;
}
