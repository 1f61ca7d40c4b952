import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, type SecretSet } from '../http/auth';
import { DomainError } from '../http/domain-error';

/**
 * A check that runs on every request before its body is read (a Fastify `onRequest` hook the
 * host installs), on the path the router sees. It returns nothing to let the request through,
 * a DomainError to refuse it (answered by the host's one error mapping, nothing logged), or
 * `'answered'` when it replied itself (a CORS preflight).
 */
export type RequestGate = (
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
) => DomainError | 'answered' | undefined;

/**
 * The path a request addresses, as the router matches it: the route it matched when there is
 * one, else the request target without scheme and authority (absolute form, `POST
 * http://host/v1/…`), query and percent-encoding (`/%76%31/…` is `/v1/…`). Null when the target
 * is not a decodable path.
 */
export function requestPath(request: FastifyRequest): string | null {
  return request.routeOptions.url ?? normalizePath(request.url);
}

export function normalizePath(target: string): string | null {
  let path = target;
  if (!path.startsWith('/')) {
    try {
      path = new URL(path).pathname;
    } catch {
      return null;
    }
  }
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  try {
    path = decodeURIComponent(path);
  } catch {
    return null;
  }
  return path.replace(/\/{2,}/g, '/');
}

const labels = new WeakMap<FastifyRequest, unknown>();

/**
 * Bearer authentication on `SecretSet`: a request under `prefix` without a known
 * `Authorization: Bearer <secret>` is refused with 401 before its body is read; the matched
 * secret's label (e.g. a role) is kept for {@link callerLabel}.
 */
export function bearerAuth<L>(
  secrets: SecretSet<L>,
  options: { prefix: string; /** the 401's message: which credential to send */ message: string },
): RequestGate {
  return (request, _reply, path) => {
    if (!path.startsWith(options.prefix)) return undefined;
    const label = secrets.match(bearerToken(request.headers.authorization));
    if (label === null) {
      return new DomainError('unauthorized', options.message, undefined, { 'www-authenticate': 'Bearer' });
    }
    labels.set(request, label);
    return undefined;
  };
}

/** The label {@link bearerAuth} found for this request (every guarded handler runs after it). */
export function callerLabel<L>(request: FastifyRequest): L {
  if (!labels.has(request)) throw new Error('callerLabel: no bearer gate passed this request');
  return labels.get(request) as L;
}
