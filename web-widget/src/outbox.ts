import { browserOnline, deliver, type FetchLike, type RetryOptions } from './transport';
import {
  createVoteQueue,
  queueKey,
  safeLocalStorage,
  type QueuedVote,
  type StorageLike,
} from './queue';
import type { DeliveryError, FeedbackBody } from './types';

/** `sending`: being delivered (retries included). `sent`: accepted. `queued`: kept locally, sent on
 * the next flush (back online or next page load). `error`: refused for good (bad or expired token). */
export type VoteStatus = 'idle' | 'sending' | 'sent' | 'queued' | 'error';

export interface VoteEvent {
  interactionId: string;
  status: VoteStatus;
  error?: DeliveryError;
  feedbackId?: string;
}

export interface OutboxOptions {
  /** Default: the global `fetch`, looked up at call time. */
  fetch?: FetchLike;
  /** Default: `localStorage` (memory when unavailable). `null` keeps the queue in memory only. */
  storage?: StorageLike | null;
  /** The storage key of the queue; default: `queueKey('')`. {@link defaultOutbox} uses one per
   * endpoint, so an outbox shared by widgets of several endpoints should be avoided. */
  key?: string;
  retry?: RetryOptions;
  /** Default: `navigator.onLine`. */
  isOnline?: () => boolean;
}

/** Delivers votes through a persistent queue: every vote is queued first, then flushed, and a newer
 * vote for the same interaction replaces a queued older one. Flushes never overlap: they hold a Web
 * Lock (across tabs) or, where the browser has none, a lock shared by the page's outboxes. */
export interface Outbox {
  /** Queues the vote and flushes. `leaving`: the page is being hidden, so the request must start
   * now: this flush does not wait for the lock (a repeated vote is harmless). */
  submit(endpoint: string, body: FeedbackBody, leaving?: boolean): Promise<void>;
  /** Sends every queued vote; resolves when the queue is empty or delivery has to wait. */
  flush(): Promise<void>;
  /** Status changes of every vote. While anyone listens, going back online flushes. */
  subscribe(listener: (event: VoteEvent) => void): () => void;
  /** The vote waiting in the queue for this interaction, if any. */
  queued(interactionId: string): QueuedVote | undefined;
}

export function createOutbox(options: OutboxOptions = {}): Outbox {
  const queue = createVoteQueue(
    options.storage === undefined ? safeLocalStorage() : options.storage,
    options.key,
  );
  const send = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const isOnline = options.isOnline ?? browserOnline;
  const listeners = new Set<(event: VoteEvent) => void>();
  let running: Promise<void> | undefined;
  let again = false;

  const emit = (entry: QueuedVote, event: Omit<VoteEvent, 'interactionId'>) =>
    listeners.forEach((listener) => listener({ interactionId: entry.body.interaction_id, ...event }));
  /** Delivery has to wait: every vote still queued is `queued`. */
  const markQueued = () => queue.list().forEach((entry) => emit(entry, { status: 'queued' }));

  const drain = async (): Promise<void> => {
    for (const entry of queue.list()) {
      if (!queue.isCurrent(entry)) continue;
      emit(entry, { status: 'sending' });
      const result = await deliver(entry.endpoint, entry.body, {
        fetch: send,
        retry: options.retry,
        isOnline,
        stillWanted: () => queue.isCurrent(entry),
      });
      // A newer vote for this interaction arrived meanwhile: it is queued and goes next round.
      if (!queue.isCurrent(entry)) continue;
      if (result.status === 'queued') return markQueued();
      queue.remove(entry);
      emit(entry, result);
    }
  };

  const flush = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    return (running = (async () => {
      try {
        do {
          again = false;
          await withLock(drain);
        } while (again);
      } finally {
        running = undefined;
      }
    })());
  };
  const onOnline = () => void flush();

  return {
    submit(endpoint, body, leaving) {
      queue.put(endpoint, body);
      // Leaving: the lock would be granted after the page is gone, so drain without it; its first
      // request starts synchronously and, being `keepalive`, outlives the page. Overlapping
      // another flush can only send a vote twice, which the service ignores (identical re-vote).
      return leaving ? drain() : flush();
    },
    flush,
    subscribe(listener) {
      if (!listeners.size) addEventListener('online', onOnline);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (!listeners.size) removeEventListener('online', onOnline);
      };
    },
    queued: queue.get,
  };
}

let pageLock: Promise<unknown> = Promise.resolve();

/** Runs `fn` exclusively: across tabs with a Web Lock, else across this page's outboxes. */
function withLock(fn: () => Promise<void>): Promise<void> {
  const locks = globalThis.navigator?.locks;
  if (locks) return locks.request('flywheel-feedback-outbox', fn).then(() => undefined);
  const run = pageLock.then(fn);
  pageLock = run.catch(() => undefined);
  return run;
}

const shared: Record<string, Outbox> = {};

/** The outbox used when no `outbox` is given: one per endpoint, on the global `fetch` and
 * `localStorage` under the endpoint's own key ({@link queueKey}). */
export const defaultOutbox = (endpoint: string): Outbox =>
  (shared[endpoint] ??= createOutbox({ key: queueKey(endpoint) }));
