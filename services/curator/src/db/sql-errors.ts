import { RetryableError, UnrecoverableError } from '@flywheel/platform';

/** SQLSTATE classes that no retry can fix: data exceptions, integrity, syntax/access. */
const PERMANENT_CLASSES = new Set(['22', '23', '42']);
/**
 * SQLSTATE classes of a database that is (temporarily) unusable or misconfigured (connection,
 * resources, shutdown, system errors, bad credentials, a missing database) and of lock
 * conflicts: none of them is the event's fault.
 */
const TRANSIENT_CLASSES = new Set(['08', '28', '3D', '40', '53', '57', '58']);

/**
 * How the bus should treat a consumer failure (see the bus's errors.ts): the database being
 * down or a deadlock → RetryableError (redelivered with backoff, never dead-lettered); an
 * event whose data the database refuses → UnrecoverableError (DLQ at once); anything else is
 * passed through (retried a few times, then DLQ), so a bug cannot block a partition forever.
 */
export function classifyConsumerError(err: unknown): unknown {
  if (err instanceof RetryableError || err instanceof UnrecoverableError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const cls = code.slice(0, 2);
    if (TRANSIENT_CLASSES.has(cls)) return new RetryableError(`database unavailable (${code}): ${message}`);
    if (PERMANENT_CLASSES.has(cls))
      return new UnrecoverableError(`database refused the event (${code}): ${message}`);
    return err;
  }
  if (
    (typeof code === 'string' && /^E(CONN|HOST|NET|PIPE|AI_AGAIN|TIMEDOUT)/.test(code)) ||
    /connection|terminat|timeout|closed/i.test(message)
  ) {
    return new RetryableError(`database unavailable: ${message}`);
  }
  return err;
}
