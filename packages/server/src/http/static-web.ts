import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web app (PARLEY_WEB_DIR) at `/`: hashed files under /assets are cached for a year, everything
 * else (index.html) is revalidated on each load, so a new build is picked up at once. Without a build the server
 * still runs, and `/` says how to make one. Unknown paths fall through to the JSON 404 of the REST edge.
 */
export async function serveWebApp(app: FastifyInstance, dir: string): Promise<'serving' | 'missing'> {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send(
          `Parley is running, but the web app is not built (no index.html in ${dir}).\n` +
            'Build it with `npm run build` in the repository (or set PARLEY_WEB_DIR to a built copy), then reload.\n',
        ),
    );
    return 'missing';
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: 'index.html',
    cacheControl: false,
    setHeaders(res, path) {
      const hashed = path.includes(`${join(dir, 'assets')}`);
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
  return 'serving';
}
