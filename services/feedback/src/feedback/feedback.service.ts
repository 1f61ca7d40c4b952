import { setTimeout as wait } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { FeedbackEvent, FeedbackRequest } from '@flywheel/contracts';
import { type Clock, recordEvaluationResult } from '@flywheel/platform';
import { type FeedbackEvents } from './feedback-events';
import { voteFingerprint } from './feedback-request';
import { type FeedbackTokens } from './feedback-tokens';
import { type FeedbackMetrics } from './feedback.metrics';
import { unavailable } from './unavailable';
import { type VoteLimits } from './vote-limits';
import { type ClaimOutcome, type VoteClaim, type VoteStore } from './vote-store';

export interface SubmitResult {
  feedbackId: string;
  revision: number;
  /** true when this was an identical retry of the recorded vote: no new event */
  duplicate: boolean;
}

export interface VoteTiming {
  /** how long a claimed revision may stay unpublished before an identical vote takes it over */
  leaseMs: number;
  /** how often an identical vote checks on one being published */
  pollMs: number;
  /** vote records outlive their token by this much (clock skew between instances) */
  recordGraceMs: number;
}

export const DEFAULT_VOTE_TIMING: VoteTiming = { leaseMs: 5_000, pollMs: 20, recordGraceMs: 3_600_000 };

/**
 * Takes votes: limits, token check, one vote per subject per interaction, publish. Knows
 * nothing of HTTP; failures are DomainErrors with a code.
 */
export class FeedbackService {
  private readonly logger = new Logger('FeedbackService');

  constructor(
    private readonly tokens: FeedbackTokens,
    private readonly votes: VoteStore,
    private readonly events: FeedbackEvents,
    private readonly limits: VoteLimits,
    private readonly metrics: FeedbackMetrics,
    private readonly clock: Clock,
    private readonly timing: VoteTiming = DEFAULT_VOTE_TIMING,
  ) {}

  /**
   * Resolves once the vote's event is durable on the bus, or the same vote was already
   * recorded. A changed vote by the same subject gets the next revision under the same
   * feedback id.
   */
  async submit(body: FeedbackRequest, client: { ip: string }): Promise<SubmitResult> {
    await this.limits.consume('ip', client.ip);
    const token = this.tokens.verify(body.token, body.interaction_id, this.clock.now());
    await this.limits.consume('subject', token.sub);

    const feedbackId = this.tokens.feedbackId(body.interaction_id, token.sub);
    const fingerprint = voteFingerprint(body);
    const outcome = await this.claim(
      {
        interactionId: body.interaction_id,
        subject: token.sub,
        fingerprint,
        feedbackId,
      },
      token.exp * 1000,
    );
    const { record } = outcome;
    if (outcome.status === 'recorded') {
      this.metrics.duplicate();
      return { feedbackId: record.feedbackId, revision: record.revision, duplicate: true };
    }

    const event: FeedbackEvent = {
      feedback_id: record.feedbackId,
      interaction_id: body.interaction_id,
      route: token.route,
      variant: token.variant,
      subject_hash: token.sub,
      rating: body.rating,
      reasons: body.reasons ?? [],
      ...(body.comment !== undefined && { comment: body.comment }),
      ...(body.correction !== undefined && { correction: body.correction }),
      revision: record.revision,
      created_at: record.createdAt,
    };
    await this.events.publish(event);
    this.metrics.voted(token.route, token.variant, body.rating);
    recordVote(event, token.trace);
    // The event is durable: a failure to record that only means an identical retry after the
    // lease publishes it again under the same CloudEvents id, which consumers dedupe.
    await this.votes
      .markPublished({ interactionId: body.interaction_id, subject: token.sub }, record.revision, fingerprint)
      .catch((err: unknown) =>
        this.logger.warn(
          `vote ${record.feedbackId} r${record.revision} published, not marked: ${String(err)}`,
        ),
      );
    return { feedbackId: record.feedbackId, revision: record.revision, duplicate: false };
  }

  /** Claims the vote; while an identical vote is being published elsewhere, waits for it. */
  private async claim(
    vote: Pick<VoteClaim, 'interactionId' | 'subject' | 'fingerprint' | 'feedbackId'>,
    tokenExpiresAtMs: number,
  ): Promise<ClaimOutcome> {
    const { leaseMs, pollMs, recordGraceMs } = this.timing;
    const deadline = this.clock.now() + leaseMs + 1_000;
    for (;;) {
      const now = this.clock.now();
      const outcome = await this.votes.claim({
        ...vote,
        createdAt: new Date(now).toISOString(),
        nowMs: now,
        leaseMs,
        ttlMs: Math.max(tokenExpiresAtMs - now, 0) + recordGraceMs,
      });
      if (outcome.status !== 'in_flight') return outcome;
      if (now >= deadline) throw unavailable('the same vote is still being recorded; retry', 1);
      await wait(pollMs);
    }
  }
}

/**
 * The vote as a `gen_ai.evaluation.result` event in the trace of the answer it judges (the token
 * carries that trace when the gateway traced the request). Reasons are the explanation; the
 * free-text comment stays out of traces.
 */
function recordVote(event: FeedbackEvent, interactionTrace: string | undefined): void {
  recordEvaluationResult({
    name: 'user_feedback',
    label: event.rating,
    value: event.rating === 'up' ? 1 : 0,
    explanation: event.reasons.join(', '),
    interactionTrace,
    attributes: {
      'flywheel.interaction.id': event.interaction_id,
      'flywheel.feedback.id': event.feedback_id,
      'flywheel.feedback.revision': event.revision,
    },
  });
}
