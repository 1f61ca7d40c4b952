import type { CancelSignal } from '../resilience/cancel-signal';

/** Waiting as an injectable dependency (retry backoff), so tests need not wait. */
export interface Sleeper {
  /** Resolves after `ms`; rejects with an AbortError as soon as `signal` aborts. */
  sleep(ms: number, signal?: CancelSignal): Promise<void>;
}

function abortError(): Error {
  return new DOMException('The operation was aborted', 'AbortError');
}

export const timerSleeper: Sleeper = {
  sleep(ms: number, signal?: CancelSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
