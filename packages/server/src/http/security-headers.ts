import type { FastifyInstance } from 'fastify';

/**
 * The content security policy of everything this server answers: the web app loads scripts, styles and fonts only
 * from this origin, talks only to this origin (REST and WebSocket), and may not be framed by any site.
 * Avatars may come from any https URL, and the favicon is a data: URL.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Browser hardening headers on every answer: the policy above, no framing (also for browsers without CSP level 2),
 * no MIME sniffing of API answers, and no Referer sent from the web app to other sites.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
}
