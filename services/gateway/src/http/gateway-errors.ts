import { mapError, type MappedError } from '@flywheel/platform';
import type { KeyScopeError } from '../auth/key-scope';
import type { GatewayErrorCode } from '../chain/gateway-error';

/** The gateway's own error codes: the chain's, a route name nobody configured, and Idempotency-Key misuse. */
export type GatewayHttpErrorCode =
  | GatewayErrorCode
  | KeyScopeError['reason']
  | 'unknown_route'
  | 'idempotency_key_reused'
  | 'idempotency_in_progress';

/**
 * HTTP status of the gateway's error codes (the common ones come from the platform); a code
 * without a status does not compile:
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
 * - `guardrail` → 502: the model's answer leaked the route's canary or system prompt and was
 *   withheld (a bad upstream answer, like `structured_output_invalid`).
 * - `route_not_allowed`, `model_not_allowed`, `system_not_allowed` → 403: outside the API key's
 *   scope; `max_tokens_exceeded` → 400 (param `max_tokens`). A key's rate and concurrency limits
 *   answer the common `rate_limited` (429 with Retry-After).
 * A GatewayError's `outcome` (attempts, upstream messages) is never public: the shared mapping
 * sends a DomainError's code, message and details only.
 */
export const GATEWAY_ERROR_STATUS = {
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
  guardrail: 502,
  route_not_allowed: 403,
  model_not_allowed: 403,
  system_not_allowed: 403,
  max_tokens_exceeded: 400,
} as const satisfies Record<GatewayHttpErrorCode, number>;

export type ErrorLog = (message: string) => void;

/** Any thrown value → status and error body, by the platform's one mapping (for the stream writer). */
export function gatewayErrorReply(err: unknown, log: ErrorLog): MappedError {
  return mapError(err, GATEWAY_ERROR_STATUS, (msg, cause) =>
    log(
      cause === undefined
        ? msg
        : `${msg} ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`,
    ),
  );
}
