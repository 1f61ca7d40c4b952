import { setTimeout as delay } from 'node:timers/promises';

/** Waiting as an injectable dependency (retry backoff), so tests need not wait. */
export interface Sleeper {
  /** Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const timerSleeper: Sleeper = {
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await delay(ms, undefined, { signal });
  },
};
