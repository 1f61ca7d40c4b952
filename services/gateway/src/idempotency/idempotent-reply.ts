import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '@flywheel/platform';
import { idempotencyKey, idempotencyScope, REPLAYED_HEADER, requestFingerprint } from './idempotency-key';
import type { IdempotencyService, StoredAnswer } from './idempotency.service';

/**
 * Answers a request through `produce`, once per `Idempotency-Key` when the request has one: the
 * HTTP side of {@link IdempotencyService} (key, scope and fingerprint from the request; a stored
 * answer sent back with `idempotent-replayed: true`). `endpoint` names what the body is sent to
 * (method and path), so the same key on another route is a different request.
 */
export async function sendIdempotent(
  idempotency: IdempotencyService,
  req: FastifyRequest,
  reply: FastifyReply,
  endpoint: string,
  produce: () => Promise<StoredAnswer>,
): Promise<void> {
  const key = idempotencyKey(req.headers);
  if (key === undefined) return send(reply, await produce(), false);
  // the auth hook let the request through, so it has a known bearer key
  const scope = idempotencyScope(bearerToken(req.headers.authorization) ?? '');
  const fingerprint = requestFingerprint(endpoint, req.body);
  const { answer, replayed } = await idempotency.run({ scope, key, fingerprint }, produce);
  send(reply, answer, replayed);
}

function send(reply: FastifyReply, answer: StoredAnswer, replayed: boolean): void {
  void reply.status(answer.status).headers(answer.headers);
  if (replayed) void reply.header(REPLAYED_HEADER, 'true');
  void reply.send(answer.body);
}
