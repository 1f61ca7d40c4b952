import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { ErrorBody } from '@flywheel/contracts';
import { mapError, type MappedError } from '@flywheel/platform';
import type { FastifyReply } from 'fastify';
import { GatewayError } from '../chain/gateway-error';

/**
 * HTTP status of the gateway's error codes (the common ones come from the HTTP kit):
 * - `unknown_route`, `unknown_model` → 404.
 * - `upstream_unavailable` → 502: no model of the chain could answer.
 * - `upstream_rejected` → 400: every upstream refused the request as invalid (HTTP 400). The
 *   request is what they refused (too long a context, content the model will not take), so a
 *   retry cannot help, and a 5xx would invite one. The attempts (with each upstream's status)
 *   are in the interaction event for the operator, in case a route's own settings are at fault.
 * - `structured_output_invalid` → 502, with the last validation errors in `details.errors`
 *   (they describe the model's output, not internals).
 * - `deadline_exceeded` → 504; `cancelled` → 499 (the client went away); `truncated` → 502.
 * - `idempotency_key_reused` → 422 (same Idempotency-Key, different request);
 *   `idempotency_in_progress` → 409 with Retry-After (the first request with the key still runs).
 */
export const GATEWAY_ERROR_STATUS: Record<string, number> = {
  unknown_route: 404,
  unknown_model: 404,
  upstream_unavailable: 502,
  upstream_rejected: 400,
  structured_output_invalid: 502,
  deadline_exceeded: 504,
  cancelled: 499,
  truncated: 502,
  idempotency_key_reused: 422,
  idempotency_in_progress: 409,
};

export type ErrorLog = (message: string) => void;

/**
 * Any thrown value → status and error body. GatewayErrors never expose their `outcome`
 * (attempts, upstream messages); a 5xx carries an `error_id` that is logged. Everything else
 * goes through the shared mapping of the HTTP kit.
 */
export function gatewayErrorReply(err: unknown, log: ErrorLog): MappedError {
  if (!(err instanceof GatewayError)) {
    return mapError(err, GATEWAY_ERROR_STATUS, (msg, cause) =>
      log(`${msg} ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`),
    );
  }
  const status = GATEWAY_ERROR_STATUS[err.code] ?? 502;
  const error: ErrorBody['error'] = { type: err.code, message: err.message };
  if (err.code === 'structured_output_invalid' && err.details) error.details = { errors: err.details.errors };
  if (status >= 500) {
    error.error_id = randomUUID();
    log(`error_id=${error.error_id} ${err.code}: ${err.message}`);
  }
  return { status, body: { error } };
}

/** The gateway's exception filter: {@link gatewayErrorReply} for every error of every route. */
@Catch()
export class GatewayErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Gateway');
  private readonly log: ErrorLog = (message) => this.logger.error(message);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const mapped = gatewayErrorReply(exception, this.log);
    if (reply.sent) return;
    if (mapped.headers) void reply.headers(mapped.headers);
    void reply
      .status(mapped.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(mapped.body);
  }
}
