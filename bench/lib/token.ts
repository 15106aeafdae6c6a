import { createHmac } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** An HS256 host token for a user (what a host application signs for Parley), valid for a day. */
export function hostToken(secret: string, userId: string): string {
  const payload = Buffer.from(
    JSON.stringify({ sub: userId, username: `u${userId}`, exp: Math.floor(Date.now() / 1000) + 86_400 }),
  ).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}
