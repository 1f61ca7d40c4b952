import { DomainError } from '@flywheel/platform';

/**
 * How long a refused voter is told to wait (Retry-After) while a backend is down: about what
 * a Redis restart or failover takes, and short enough that the widget's retry keeps the vote.
 */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/** `503 unavailable` with Retry-After: the vote was not taken and may be sent again as it is. */
export function unavailable(message: string, retryAfterS = UNAVAILABLE_RETRY_AFTER_S): DomainError {
  return new DomainError(
    'unavailable',
    message,
    { retry_after_s: retryAfterS },
    { 'retry-after': String(retryAfterS) },
  );
}
