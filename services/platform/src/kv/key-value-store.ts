/**
 * The key-value port: a deliberately small surface (get/set/del/incr with TTLs, leases) that both
 * Redis and the in-memory store implement identically. Used for vote revisions,
 * idempotency keys and rate limiting. Behaviour is pinned by `describeKeyValueContract`.
 */
export interface KeyValueSetOptions {
  /** expire the key this many milliseconds after the write; omitted = no expiry (and a
   * plain `set` clears an expiry the key had before, as Redis SET does) */
  ttlMs?: number;
  /** only write when the key does not exist (Redis `SET NX`) */
  ifAbsent?: boolean;
}

export interface KeyValueIncrOptions {
  /** applied only when this call creates the key, so repeated calls make a fixed window */
  ttlMs?: number;
  /** the amount to add, a safe integer, negative to subtract (default 1) */
  by?: number;
}

export interface KeyValueLeaseOptions {
  /** at most this many unexpired holders at once */
  limit: number;
  /** the lease ends by itself this long after it was taken (a crashed holder frees its slot) */
  ttlMs: number;
}

export interface KeyValueStore {
  readonly kind: 'redis' | 'memory';
  /** the value, or null when the key is missing or expired */
  get(key: string): Promise<string | null>;
  /** returns false only when `ifAbsent` was set and the key already existed */
  set(key: string, value: string, opts?: KeyValueSetOptions): Promise<boolean>;
  del(key: string): Promise<void>;
  /** atomically adds `by` (default 1; a missing key counts as 0) and returns the new value;
   * `ttlMs` is applied only when this call creates the key, so repeated calls make a fixed window */
  incr(key: string, opts?: KeyValueIncrOptions): Promise<number>;
  /**
   * A counting semaphore across processes: atomically drops the expired leases under `key`
   * and, when fewer than `limit` remain, adds `holder`'s lease (expiring `ttlMs` from now) and
   * returns true; else returns false and changes nothing. Taking a lease the holder already
   * has renews it. Lease keys are a separate kind: use get/set/incr on other keys only.
   */
  acquireLease(key: string, holder: string, opts: KeyValueLeaseOptions): Promise<boolean>;
  /** ends `holder`'s lease under `key`; releasing a missing or expired lease is not an error */
  releaseLease(key: string, holder: string): Promise<void>;
  /** resolves when the backend answers, throws `KeyValueUnavailableError` otherwise */
  ping(): Promise<void>;
  /** idempotent; every later call throws `KeyValueUnavailableError` */
  close(): Promise<void>;
}

/** The backend cannot be reached (down, reconnecting, timed out) or the store was closed.
 * Retryable: callers may degrade (e.g. /readyz answers 503) rather than hang. */
export class KeyValueUnavailableError extends Error {
  readonly code = 'KV_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyValueUnavailableError';
  }
}

/** Both adapters reject the same bad arguments the same way, before touching the backend. */
export function assertValidIncrement(by: number | undefined): void {
  if (by !== undefined && !Number.isSafeInteger(by)) {
    throw new RangeError(`by must be a safe integer, got ${by}`);
  }
}

export function assertValidLease(opts: KeyValueLeaseOptions): void {
  if (!Number.isSafeInteger(opts.limit) || opts.limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${opts.limit}`);
  }
  assertValidTtl(opts.ttlMs);
}

/** Both adapters reject the same bad TTLs the same way, before touching the backend. */
export function assertValidTtl(ttlMs: number | undefined): void {
  if (ttlMs === undefined) return;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`);
  }
}
