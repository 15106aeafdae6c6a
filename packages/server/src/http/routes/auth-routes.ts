import type { FastifyInstance } from 'fastify';
import type { Session } from '../../services/auth-service.js';
import { USERNAME } from '../../services/user-service.js';
import { parseDeviceId } from '../../validation/device.js';
import { type Obj, optDisplayName, str } from '../../validation/validate.js';
import { renderUser } from '../../wire/render.js';
import type { HttpContext } from '../context.js';
import { body } from '../params.js';

/** An optional device_id binds the tokens to that device: revoking it refuses them. */
const deviceOf = (b: Obj): string | null =>
  b.device_id === undefined ? null : parseDeviceId(b.device_id, 'device_id');

const renderSession = (s: Session) => ({
  user: renderUser(s.user),
  access_token: s.accessToken,
  access_token_expires_at: new Date(s.accessTokenExpiresAt).toISOString(),
  refresh_token: s.refreshToken,
});

/** Standalone identity: register, login, refresh, logout. */
export function authRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/v1/auth/register', async (request, reply) => {
    const b = body(request.body);
    const session = await ctx.auth.register(
      {
        username: str(b, 'username', { min: 3, max: 32, pattern: USERNAME }),
        password: str(b, 'password', { min: 8, max: 200 }),
        displayName: optDisplayName(b, 'display_name', { min: 1, max: 64 }),
      },
      deviceOf(b),
      request.ip,
    );
    return reply.status(201).send(renderSession(session));
  });

  app.post('/v1/auth/login', async (request) => {
    const b = body(request.body);
    return renderSession(
      await ctx.auth.login(str(b, 'username', { max: 64 }), str(b, 'password', { max: 200 }), deviceOf(b), request.ip),
    );
  });

  app.post('/v1/auth/refresh', async (request) => {
    const b = body(request.body);
    return renderSession(await ctx.auth.refresh(str(b, 'refresh_token', { max: 200 })));
  });

  app.post('/v1/auth/logout', async (request, reply) => {
    const b = body(request.body);
    await ctx.auth.logout(str(b, 'refresh_token', { max: 200 }));
    return reply.status(204).send();
  });
}
