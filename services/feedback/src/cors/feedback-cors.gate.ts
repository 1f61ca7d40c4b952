import { DomainError, type RequestGate } from '@flywheel/platform';
import type { OriginPolicy } from './origin-policy';

/** The CORS-governed endpoint: votes. Everything else is same-origin or a plain script load. */
const VOTE_PATH = /^\/v1\/feedback\/?$/;

/** Preflight answers are cached this long by browsers (Chromium caps it at 2 h). */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * CORS for `/v1/feedback`, as a host gate: on the normalized path (so `/%76%31/feedback` and
 * absolute-form targets are governed too), before the body is read, and also answering
 * preflights (there is no OPTIONS route):
 * - allowed origin: preflight → 204 with the allow headers; the POST gets
 *   Access-Control-Allow-Origin and exposes Retry-After (so the widget can honour a 429);
 * - any other origin: 403 `origin_not_allowed`, without allow headers, preflight included;
 * - no Origin header (not a browser cross-origin request): passes untouched.
 * No credentials: the widget sends none, the token in the body is the credential.
 */
export function feedbackCorsGate(policy: OriginPolicy, onRefused: () => void): RequestGate {
  return (request, reply, path) => {
    if (!VOTE_PATH.test(path)) return undefined;
    const origin = request.headers.origin;
    if (origin === undefined) return undefined;
    void reply.header('vary', 'Origin');
    if (!policy.allows(origin, request.headers.host)) {
      onRefused();
      return new DomainError(
        'origin_not_allowed',
        'this origin may not send feedback (feedback.allowed_origins)',
      );
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
      return 'answered';
    }
    void reply.header('access-control-expose-headers', 'Retry-After');
    return undefined;
  };
}
