import { type Clock, flatString, getProcessLogger } from '@flywheel/platform';
import {
  type ClaimOutcome,
  type VoteClaim,
  type VoteKey,
  type VoteRecord,
  VoteStore,
  voteStoreKey,
} from './vote-store';

interface Entry extends VoteRecord {
  leaseUntil: number;
  published: boolean;
  expiresAt: number;
}

/** Votes the embedded store keeps at most (default of MemoryVoteStore's `maxEntries`). */
export const MEMORY_VOTE_STORE_MAX_ENTRIES = 100_000;

/**
 * The embedded vote store (REDIS_URL unset): one process, nothing survives a restart. Each call
 * runs to completion without awaiting, so it is atomic on Node's single thread.
 *
 * Bounded: a record lives until its TTL (the token's lifetime) and at most `maxEntries` records
 * are kept; past that the least recently used one is forgotten, counted in `evicted` and logged
 * once (about 400 bytes of heap each, its strings flattened, so ~40 MB at the default 100,000). A vote on a forgotten record counts as a first vote again (a new
 * feedback id, revision 1) — the same as after a restart of the process.
 */
export class MemoryVoteStore extends VoteStore {
  /** in least-recently-used order: a record touched by claim() moves to the end */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = MEMORY_VOTE_STORE_MAX_ENTRIES,
  ) {
    super();
  }

  get size(): number {
    return this.entries.size;
  }

  private evictedTotal = 0;
  /** records forgotten because the store was full (not counting expired ones); logged once */
  get evicted(): number {
    return this.evictedTotal;
  }

  async claim(c: VoteClaim): Promise<ClaimOutcome> {
    const key = voteStoreKey(c);
    const current = this.live(key);
    if (current) {
      this.entries.delete(key);
      this.entries.set(key, current);
    }
    if (current && current.fingerprint === c.fingerprint) {
      if (current.published) return { status: 'recorded', record: recordOf(current) };
      if (current.leaseUntil > c.nowMs) return { status: 'in_flight', record: recordOf(current) };
      current.leaseUntil = c.nowMs + c.leaseMs;
      return { status: 'publish', record: recordOf(current) };
    }
    // flat copies: the ids arrive template-built, ~3× their size until flattened (flatString)
    const next: Entry = {
      feedbackId: current?.feedbackId ?? flatString(c.feedbackId),
      revision: (current?.revision ?? 0) + 1,
      fingerprint: flatString(c.fingerprint),
      createdAt: flatString(c.createdAt),
      leaseUntil: c.nowMs + c.leaseMs,
      published: false,
      expiresAt: this.clock.now() + c.ttlMs,
    };
    this.entries.delete(key);
    this.entries.set(flatString(key), next);
    this.sweep();
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
      this.evictedTotal++;
      if (this.evictedTotal === 1)
        getProcessLogger('flywheel').warn(
          { max_entries: this.maxEntries },
          'in-memory vote store full: forgetting the least recently used votes (a vote on one counts as a first vote again); set REDIS_URL to keep every vote until its token expires',
        );
    }
    return { status: 'publish', record: recordOf(next) };
  }

  async markPublished(key: VoteKey, revision: number, fingerprint: string): Promise<void> {
    const entry = this.live(voteStoreKey(key));
    if (entry && entry.revision === revision && entry.fingerprint === fingerprint) entry.published = true;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private lastSweep = 0;
  /** Drops expired records at most once a minute, so votes never read again do not pile up. */
  private sweep(): void {
    const now = this.clock.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

function recordOf(e: Entry): VoteRecord {
  return {
    feedbackId: e.feedbackId,
    revision: e.revision,
    fingerprint: e.fingerprint,
    createdAt: e.createdAt,
  };
}
