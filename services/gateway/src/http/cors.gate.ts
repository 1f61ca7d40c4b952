import type { RequestGate } from '@flywheel/platform';

const EXPOSED = [
  'x-flywheel-interaction-id',
  'x-flywheel-feedback-token',
  'x-flywheel-variant',
  'x-flywheel-model',
].join(', ');

/**
 * The host gate (before auth) for browser callers on the GATEWAY_CORS_ORIGINS allowlist, e.g. the
 * feedback service's /demo page in `flywheel start`. Allowed origins get CORS headers and their
 * preflights a 204; other origins get no CORS headers, so browsers block them, while
 * server-to-server calls (no Origin) are unaffected. Empty by default: production callers are
 * backends, which should not ship API keys to browsers.
 */
export function corsGate(allowedOrigins: readonly string[]): RequestGate {
  const allowed = new Set(allowedOrigins);
  return (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !allowed.has(origin)) return undefined;
    void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      void reply
        .code(204)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'authorization, content-type, x-flywheel-user')
        .header('access-control-max-age', '600')
        .send();
      return 'answered';
    }
    void reply.header('access-control-expose-headers', EXPOSED);
    return undefined;
  };
}
