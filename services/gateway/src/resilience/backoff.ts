import type { Random } from '../runtime/random';

export interface BackoffOptions {
  /** Ceiling of the first retry's delay. Default 100 ms. */
  baseMs: number;
  /** Ceiling of any computed delay. Default 2 s. */
  maxMs: number;
  /**
   * The longest `Retry-After` the gateway waits out. A longer one means "not this model for
   * now": no retry, on to the next model. Default 5 s.
   */
  retryAfterCapMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 2_000, retryAfterCapMs: 5_000 };

/** Full-jitter exponential backoff (AWS "Exponential Backoff and Jitter") that honours Retry-After. */
export class Backoff {
  constructor(
    private readonly options: BackoffOptions,
    private readonly random: Random,
  ) {}

  /**
   * The wait before the next try after `failures` failed tries (1-based), or `undefined` when
   * the upstream asked for a longer pause than the cap allows.
   */
  delayMs(failures: number, retryAfterMs?: number): number | undefined {
    const { baseMs, maxMs, retryAfterCapMs } = this.options;
    if (retryAfterMs !== undefined && retryAfterMs > retryAfterCapMs) return undefined;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
    const jittered = Math.floor(this.random.next() * ceiling);
    return retryAfterMs === undefined ? jittered : Math.max(Math.ceil(retryAfterMs), jittered);
  }
}
