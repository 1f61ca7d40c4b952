import { type LatencySummary, summarize } from './stats';

export interface OpenLoopOptions {
  /** Sends per second. */
  rate: number;
  seconds: number;
  /**
   * Starts send number `i`, due at `scheduledAt` (performance.now() time base), and returns at
   * once: completions are the caller's business, the schedule never waits for them.
   */
  fire: (i: number, scheduledAt: number) => void;
}

export interface OpenLoopRun {
  scheduled: number;
  /** First due time (performance.now()); the i-th send is due at start + i · 1000 / rate. */
  startedAt: number;
  elapsedMs: number;
  /** How late sends left against their due time (timer granularity, a busy event loop). */
  dispatchLag: LatencySummary;
}

/**
 * Open-loop load: sends go out on a fixed schedule whatever the completions do, so a slow server
 * cannot throttle its own load (no coordinated omission). Callers measure latency from
 * `scheduledAt`, not from the actual send, so a late dispatch still counts against the server
 * under test (and is reported here as dispatch lag). Wakes on a timer (≥ 1 ms) and fires every
 * send that is due, so it never spins a core.
 */
export async function runOpenLoop({ rate, seconds, fire }: OpenLoopOptions): Promise<OpenLoopRun> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const lags: number[] = [];
  const startedAt = performance.now();
  let i = 0;
  while (i < total) {
    const now = performance.now();
    while (i < total && startedAt + i * interval <= now) {
      const due = startedAt + i * interval;
      lags.push(performance.now() - due);
      fire(i, due);
      i++;
    }
    if (i >= total) break;
    const wait = startedAt + i * interval - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(1, wait)));
  }
  return {
    scheduled: total,
    startedAt,
    elapsedMs: performance.now() - startedAt,
    dispatchLag: summarize(lags),
  };
}
