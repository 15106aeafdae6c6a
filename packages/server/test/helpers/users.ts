import type { ParleyApp } from '../../src/app.js';
import { hostToken } from './host-token.js';
import { rest } from './rest.js';

/** The `error` of a REST refusal body. */
export function errorOf(body: unknown): { code: string; message: string; retryable: boolean; field?: string } {
  return (body as { error: { code: string; message: string; retryable: boolean; field?: string } }).error;
}

/**
 * A host-application user with a chosen id: signs a host token and makes one REST call so the user exists
 * (users are created on first sight). The returned id is as rendered on the wire (numeric ids as numbers).
 */
export async function hostUser(app: ParleyApp, sub: string, username = `user-${sub}`) {
  const token = await hostToken({ sub, username });
  const res = await rest(app, token).get('/v1/users/me');
  if (res.status !== 200) throw new Error(`host user ${sub}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: (res.body as { user: { id: string | number } }).user.id, token };
}

/** Makes two users friends through the REST API (a requests, b accepts). */
export async function befriend(
  app: ParleyApp,
  a: { id: string | number; token: string },
  b: { id: string | number; token: string },
) {
  const req = await rest(app, a.token).post('/v1/friends/requests', { user_id: b.id });
  if (req.status !== 201) throw new Error(`friend request: ${req.status} ${JSON.stringify(req.body)}`);
  const acc = await rest(app, b.token).post(`/v1/friends/requests/${a.id}/accept`);
  if (acc.status !== 204) throw new Error(`friend accept: ${acc.status} ${JSON.stringify(acc.body)}`);
}
