/**
 * The vote record: one per (interaction, subject), so "one vote per subject per interaction"
 * holds across every feedback instance. Both adapters (Redis, in-memory) make the same atomic
 * decision, pinned by `describeVoteStoreContract`.
 *
 * A record is `pending` from the moment a revision is claimed until its event is durable on the
 * bus (`markPublished`). An identical vote arriving meanwhile is told `in_flight` (wait, then
 * ask again); if the publisher died, its lease runs out and the next identical vote takes the
 * revision over and publishes it again (same CloudEvents id, so consumers dedupe it).
 */
export interface VoteKey {
  interactionId: string;
  /** the token's subject hash */
  subject: string;
}

export interface VoteClaim extends VoteKey {
  /** hash of the vote's content (rating, reasons, comment, correction) */
  fingerprint: string;
  /** kept by the record from its first vote on */
  feedbackId: string;
  /** `created_at` of the revision this claim creates */
  createdAt: string;
  nowMs: number;
  /** how long a claimed revision may stay unpublished before another request takes it over */
  leaseMs: number;
  /** how long the record lives after this write (until the token expires, plus a margin) */
  ttlMs: number;
}

export interface VoteRecord {
  feedbackId: string;
  revision: number;
  fingerprint: string;
  createdAt: string;
}

/**
 * `publish`: this request owns `record.revision` (new, or taken over after its lease ran out)
 * and must publish its event. `recorded`: the same vote is already published. `in_flight`: the
 * same vote is being published by another request right now.
 */
export type ClaimOutcome = { status: 'publish' | 'recorded' | 'in_flight'; record: VoteRecord };

export abstract class VoteStore {
  abstract claim(claim: VoteClaim): Promise<ClaimOutcome>;
  /** Marks the revision published, unless a newer revision replaced it meanwhile. */
  abstract markPublished(key: VoteKey, revision: number, fingerprint: string): Promise<void>;
}

export function voteStoreKey({ interactionId, subject }: VoteKey): string {
  return `flywheel:feedback:vote:${subject}:${interactionId}`;
}
