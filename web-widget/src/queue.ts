import type { FeedbackBody } from './types';

/** The part of `Storage` the queue uses (`localStorage` fits). */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface QueuedVote {
  /** Unique per vote, so a delivered vote is removed only if no newer one replaced it. */
  key: string;
  endpoint: string;
  body: FeedbackBody;
  /** When it was queued (ms since epoch). */
  at: number;
}

export interface VoteQueue {
  list(): QueuedVote[];
  get(interactionId: string): QueuedVote | undefined;
  /** Queues a vote, replacing any queued vote for the same interaction. */
  put(endpoint: string, body: FeedbackBody): QueuedVote;
  /** True while `entry` is still the queued vote for its interaction. */
  isCurrent(entry: QueuedVote): boolean;
  remove(entry: QueuedVote): void;
}

/** The storage key of the default outbox's queue for `endpoint`: one key per feedback endpoint,
 * so a widget only ever reads and sends the votes queued for its own endpoint. */
export const queueKey = (endpoint: string) => `flywheel-feedback-outbox ${endpoint}`;
const MAX_ENTRIES = 50;
/** Older votes are dropped unsent: their feedback token has long expired. */
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** Votes waiting to be delivered, one per interaction id, persisted in `storage` under `key`, which
 * is removed once the last vote is delivered: no token, comment or correction stays behind. Falls
 * back to memory when storage is missing, throws (privacy modes) or is full. */
export function createVoteQueue(
  storage: StorageLike | null,
  key = 'flywheel-feedback-outbox',
  now: () => number = Date.now,
): VoteQueue {
  let memory: QueuedVote[] = [];

  const list = (): QueuedVote[] => {
    let entries: unknown = memory;
    try {
      if (storage) entries = JSON.parse(storage.getItem(key) ?? '[]');
    } catch {
      entries = [];
    }
    return Array.isArray(entries)
      ? entries.filter((e): e is QueuedVote => isVote(e) && e.at > now() - MAX_AGE_MS)
      : [];
  };
  const write = (entries: QueuedVote[]): void => {
    memory = entries;
    try {
      // removed first, so a write that fails (quota exceeded) leaves no stale copy behind
      storage?.removeItem(key);
      if (entries.length) storage?.setItem(key, JSON.stringify(entries));
    } catch {
      storage = null; // storage full or disabled: carry on in memory
    }
  };
  const get = (interactionId: string) => list().find((e) => e.body.interaction_id === interactionId);

  return {
    list,
    get,
    put(endpoint, body) {
      const entry = { key: `${Math.random()}`, endpoint, body, at: now() };
      write(
        [...list().filter((e) => e.body.interaction_id !== body.interaction_id), entry].slice(-MAX_ENTRIES),
      );
      return entry;
    },
    isCurrent: (entry) => get(entry.body.interaction_id)?.key === entry.key,
    remove: (entry) => write(list().filter((e) => e.key !== entry.key)),
  };
}

function isVote(value: unknown): value is QueuedVote {
  const v = value as Partial<QueuedVote> | null;
  return (
    typeof v?.key === 'string' && typeof v.endpoint === 'string' && typeof v.body?.interaction_id === 'string'
  );
}

/** `localStorage`, or null where reading it throws (blocked storage, sandboxed iframes). */
export function safeLocalStorage(): StorageLike | null {
  try {
    return localStorage;
  } catch {
    return null;
  }
}
