import type { ErrorBody } from '@flywheel/contracts';
import type { onRequestHookHandler } from 'fastify';
import type { OriginPolicy } from './origin-policy';

/** The CORS-governed endpoint: votes. Everything else is same-origin or a plain script load. */
const VOTE_PATH = /^\/v1\/feedback\/?(\?|$)/;

/** Preflight answers are cached this long by browsers (Chromium caps it at 2 h). */
const PREFLIGHT_MAX_AGE_S = 600;

const refusal: ErrorBody = {
  error: {
    type: 'origin_not_allowed',
    message: 'this origin may not send feedback (feedback.allowed_origins)',
  },
};

/**
 * CORS for `/v1/feedback`, as a Fastify onRequest hook so it runs before body parsing and also
 * answers preflights (there is no OPTIONS route):
 * - allowed origin: preflight → 204 with the allow headers; the POST gets
 *   Access-Control-Allow-Origin and exposes Retry-After (so the widget can honour a 429);
 * - any other origin: 403 `origin_not_allowed`, without allow headers, preflight included;
 * - no Origin header (not a browser cross-origin request): passes untouched.
 * No credentials: the widget sends none, the token in the body is the credential.
 */
export function feedbackCorsHook(policy: OriginPolicy, onRefused: () => void): onRequestHookHandler {
  return (request, reply, done) => {
    if (!VOTE_PATH.test(request.url)) return done();
    const origin = request.headers.origin;
    if (origin === undefined) return done();
    void reply.header('vary', 'Origin');
    if (!policy.allows(origin, request.headers.host)) {
      onRefused();
      void reply.code(403).header('content-type', 'application/json; charset=utf-8').send(refusal);
      return;
    }
    void reply.header('access-control-allow-origin', origin);
    if (request.method === 'OPTIONS') {
      void reply
        .code(204)
        .headers({
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'content-type',
          'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
        })
        .send();
      return;
    }
    void reply.header('access-control-expose-headers', 'Retry-After');
    done();
  };
}
