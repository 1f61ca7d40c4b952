import type { ErrorClass } from '../providers/provider-error';

/** Worth another try against the same model (after a backoff): 429, 5xx, connection failures. */
export function isRetryable(errorClass: ErrorClass): boolean {
  return errorClass === 'rate_limited' || errorClass === 'server_error' || errorClass === 'network';
}

/**
 * Says the model (not the request) is unhealthy, so it counts towards opening its breaker.
 * A timeout counts; a 4xx, invalid output or a cancelled call does not.
 */
export function countsAgainstModel(errorClass: ErrorClass): boolean {
  return isRetryable(errorClass) || errorClass === 'timeout';
}
