import type { ServerResponse } from 'node:http';
import type { CancelSignal } from '../resilience/cancel-signal';

/**
 * Fires when the client goes away before its answer was written, so the upstream call is
 * cancelled with it. It listens on the response: in Node ≥ 16 the request's own 'close' fires
 * as soon as its body has been read, not when the connection drops. Listeners run once, in the
 * order they were added, like an AbortSignal's; one added after the abort never runs (read
 * `aborted` first, as AbortSignal users must).
 */
export class ClientGone implements CancelSignal {
  private gone = false;
  /** usually one: the running attempt's scope */
  private listeners: (() => void)[] | undefined;

  constructor(res: ServerResponse) {
    res.once('close', () => {
      if (!res.writableEnded) this.abort();
    });
  }

  get aborted(): boolean {
    return this.gone;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.gone) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners!.splice(i, 1);
  }

  private abort(): void {
    this.gone = true;
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener();
  }
}

export function clientGone(res: ServerResponse): CancelSignal {
  return new ClientGone(res);
}
