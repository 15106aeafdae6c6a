import type { DomainEvent } from '../../../services/events.js';
import { nameOf } from '../shared/people.js';
import { renderSeed000Message } from './seed000-render.js';

/** Seed 000 pushes only messages: `new_message` (private) and `new_group_message` (group), with the sender's name. */
export function encodeSeed000(event: DomainEvent): string | null {
  if (event.type !== 'message.created') return null;
  const message = { ...renderSeed000Message(event.message), sender_username: nameOf(event.sender, event.sender.id) };
  const type = 'group_id' in message ? 'new_group_message' : 'new_message';
  return JSON.stringify({ type, message });
}
