import { bearerToken } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { ApiKeys, CallerRole } from './api-keys';

const roles = new WeakMap<FastifyRequest, CallerRole>();

const UNAUTHORIZED = JSON.stringify({
  error: { type: 'unauthorized', message: 'missing or unknown API key (Authorization: Bearer <key>)' },
});

/**
 * Fastify `onRequest` hook guarding `/v1/*`: a request without a known bearer key gets 401
 * before its body is read or parsed. The caller's role is kept for {@link callerRole}.
 */
export function authHook(keys: ApiKeys) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (!request.url.startsWith('/v1/')) return done();
    const role = keys.roleOf(bearerToken(request.headers.authorization));
    if (role === null) {
      void reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .header('content-type', 'application/json; charset=utf-8')
        .send(UNAUTHORIZED);
      return;
    }
    roles.set(request, role);
    done();
  };
}

/** The role {@link authHook} found for this request (every `/v1/*` handler runs after it). */
export function callerRole(request: FastifyRequest): CallerRole {
  const role = roles.get(request);
  if (role === undefined) throw new Error('callerRole: the auth hook did not run for this request');
  return role;
}
