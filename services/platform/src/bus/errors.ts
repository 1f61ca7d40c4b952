/**
 * Errors of the event bus. Handlers signal how a failure should be treated:
 * - throw UnrecoverableError: the event can never succeed → DLQ at once, consumer moves on;
 * - throw RetryableError: a dependency is down → redelivered with backoff, never DLQ'd;
 * - anything else: retried up to `maxAttempts`, then DLQ (a poison message must not block
 *   its partition forever).
 */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
}

export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  readonly code = 'invalid_event';
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
  readonly code = 'spool_full';
}
