import type { EvalCaseStatus, Rating } from '@flywheel/contracts';

/**
 * The join of votes to interactions, as pure decisions (README "Join, park, retention").
 *
 * A vote is `waiting` until its interaction arrives, `parked` once it waited longer than
 * `curator.join_ttl_s` without it, and `joined` when both are stored, whatever came first.
 * A parked vote still joins when its interaction arrives later. Only a joined vote has an
 * effect on cases.
 */
export type JoinState = 'waiting' | 'joined' | 'parked';

export interface StoredVote {
  revision: number;
  state: JoinState;
}

/** What a feedback event does to the stored vote of its feedback_id. */
export type VoteDecision = { kind: 'duplicate' } | { kind: 'store'; state: JoinState };

/**
 * A revision at or below the stored one is a redelivery (or a stale reordering) and changes
 * nothing; a higher revision replaces the stored vote and keeps its join state, joining it
 * when the interaction is there.
 */
export function decideVote(
  stored: StoredVote | null,
  revision: number,
  interactionStored: boolean,
): VoteDecision {
  if (stored && revision <= stored.revision) return { kind: 'duplicate' };
  if (interactionStored || stored?.state === 'joined') return { kind: 'store', state: 'joined' };
  return { kind: 'store', state: stored?.state === 'parked' ? 'parked' : 'waiting' };
}

/** What a joined vote does to the eval cases. */
export type CaseEffect = 'none' | 'link' | 'unlink';

/**
 * A dislike on a routed interaction is linked to a case (created or merged); a vote that is
 * linked and is now a like is unlinked. Direct model calls (no route) have no regression set.
 */
export function caseEffect(vote: { rating: Rating; linked: boolean; routed: boolean }): CaseEffect {
  if (vote.rating === 'down' && !vote.linked && vote.routed) return 'link';
  if (vote.rating === 'up' && vote.linked) return 'unlink';
  return 'none';
}

/**
 * Unlinking a vote that changed from down to up:
 * - `frozen`: the case was triaged (accepted or rejected): a human decided on the evidence as
 *   it was; the link and the count stay;
 * - `unlink`: a new case keeps its other votes and loses this one (count − 1);
 * - `withdraw`: it was the new case's only vote: the case is rejected automatically (reason
 *   {@link WITHDRAWN_REASON}) and keeps the link, so its lineage still says why it existed.
 */
export type UnlinkOutcome = 'frozen' | 'unlink' | 'withdraw';

export function unlinkOutcome(status: EvalCaseStatus, linkedVotes: number): UnlinkOutcome {
  if (status !== 'new') return 'frozen';
  return linkedVotes > 1 ? 'unlink' : 'withdraw';
}

export const WITHDRAWN_REASON = 'withdrawn: its only dislike was changed to a like';

/** Waiting votes received at or before this instant are parked by the sweep. */
export function parkCutoff(nowMs: number, joinTtlS: number): Date {
  return new Date(nowMs - joinTtlS * 1000);
}
