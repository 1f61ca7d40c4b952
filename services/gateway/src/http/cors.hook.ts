import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

const EXPOSED = [
  'x-flywheel-interaction-id',
  'x-flywheel-feedback-token',
  'x-flywheel-variant',
  'x-flywheel-model',
].join(', ');

/**
 * Fastify `onRequest` hook (registered before auth) for browser callers on the
 * GATEWAY_CORS_ORIGINS allowlist, e.g. the feedback service's /demo page in `flywheel start`.
 * Allowed origins get CORS headers and their preflights a 204; other origins get no CORS
 * headers, so browsers block them, while server-to-server calls (no Origin) are unaffected.
 * Empty by default: production callers are backends, which should not ship API keys to browsers.
 */
export function corsHook(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const origin = request.headers.origin;
    if (!origin || !allowed.has(origin)) return done();
    void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      void reply
        .code(204)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'authorization, content-type, x-flywheel-user')
        .header('access-control-max-age', '600')
        .send();
      return;
    }
    void reply.header('access-control-expose-headers', EXPOSED);
    done();
  };
}
