import { type ErrorClass, ProviderError, toProviderError } from '../providers/provider-error';
import type { CancelSignal } from './cancel-signal';

const ONCE = { once: true } as const;

/** Why an attempt's signal fired. `deadline`: the chain's overall deadline, not the attempt's timeout. */
export type AbortCause = 'cancelled' | 'timeout' | 'deadline';

/**
 * The abort signal of one upstream attempt: fires when the caller's signal does (client
 * disconnect) or when the armed timer runs out, and remembers which, so the error the SDK
 * throws (an abort error, or a stream that just stops) is classified by its real cause.
 */
export class AttemptScope {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private firedBy: AbortCause | undefined;

  constructor(private readonly parent: CancelSignal | undefined) {
    if (parent?.aborted) this.abort('cancelled');
    else parent?.addEventListener('abort', this.onParentAbort, ONCE);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get cause(): AbortCause | undefined {
    return this.firedBy;
  }

  /** (Re)starts the timer: after `ms`, abort with `cause`. */
  arm(ms: number, cause: 'timeout' | 'deadline'): void {
    clearTimeout(this.timer);
    if (this.firedBy) return;
    this.timer = setTimeout(() => this.abort(cause), Math.max(0, ms));
  }

  /** Aborts as the caller would (the consumer of a stream stopped reading). */
  cancel(): void {
    this.abort('cancelled');
  }

  /** Stops the timer and unhooks from the caller's signal. Idempotent. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }

  /** What `err` (thrown by the provider call) means, given why, if at all, we aborted. */
  classify(err: unknown, nowMs: number): ProviderError {
    if (this.firedBy === undefined) return toProviderError(err, nowMs);
    const errorClass: ErrorClass = this.firedBy === 'cancelled' ? 'cancelled' : 'timeout';
    const message =
      this.firedBy === 'cancelled' ? 'the caller cancelled the request' : `attempt aborted: ${this.firedBy}`;
    return new ProviderError(errorClass, message, undefined, undefined, { cause: err });
  }

  private readonly onParentAbort = (): void => this.abort('cancelled');

  private abort(cause: AbortCause): void {
    if (this.firedBy) return;
    this.firedBy = cause;
    clearTimeout(this.timer);
    this.controller.abort();
  }
}
