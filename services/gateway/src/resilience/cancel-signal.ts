/**
 * The caller's cancellation as the chain reads it: whether it happened, and a listener for when
 * it does — the part of AbortSignal the chain uses, so any AbortSignal is one. The gateway's
 * own per request is a plain object ({@link ClientGone}): each upstream attempt already has an
 * AbortController of its own (AttemptScope, whose signal is what providers get), and a second
 * one per request, an EventTarget with its listener records, cost about 1 KB and as much CPU as
 * the rest of the abort path.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
