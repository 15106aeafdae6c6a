import type { ParleyApp } from '../../src/app.js';

/** REST calls in-process through Fastify's inject, with a bearer token. */
export function rest(app: ParleyApp, token?: string) {
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const res = await app.http.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    const body =
      res.body === '' ? null : res.headers['content-type']?.toString().includes('json') ? res.json() : res.body;
    return { status: res.statusCode, body, headers: res.headers };
  };
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, payload?: unknown) => call('POST', url, payload ?? {}),
    put: (url: string, payload?: unknown) => call('PUT', url, payload),
    patch: (url: string, payload?: unknown) => call('PATCH', url, payload),
    delete: (url: string) => call('DELETE', url),
  };
}

/** Registers a standalone user and returns its id and access token. */
export async function register(app: ParleyApp, username: string, password = 'correct-horse-battery') {
  const res = await rest(app).post('/v1/auth/register', { username, password });
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as { user: { id: string }; access_token: string; refresh_token: string };
  return { id: body.user.id, token: body.access_token, refreshToken: body.refresh_token };
}
