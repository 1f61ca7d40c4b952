import { createHmac } from 'node:crypto';
import {
  DomainError,
  type FeedbackTokenClaims,
  type FeedbackTokenPayload,
  mintFeedbackToken,
  subjectHash,
  verifyFeedbackToken,
} from '@flywheel/platform';

/**
 * The feedback secret and everything keyed by it: token checks, the demo's token minting and
 * feedback ids. The secret goes no further than this class.
 */
export class FeedbackTokens {
  constructor(private readonly secret: string) {}

  /**
   * The token's payload, or a DomainError: `invalid_token` (malformed, tampered, another
   * secret), `token_expired`, `interaction_mismatch` (a valid token for another interaction).
   * The signature check is constant-time (verifyFeedbackToken).
   */
  verify(token: string, interactionId: string, nowMs: number): FeedbackTokenPayload {
    const result = verifyFeedbackToken(token, this.secret, nowMs);
    if (!result.ok) {
      if (result.reason === 'expired')
        throw new DomainError('token_expired', 'the feedback token has expired');
      throw new DomainError('invalid_token', 'the feedback token is not valid');
    }
    if (result.payload.interaction_id !== interactionId) {
      throw new DomainError('interaction_mismatch', 'the feedback token was issued for another interaction');
    }
    return result.payload;
  }

  mint(claims: FeedbackTokenClaims): string {
    return mintFeedbackToken(claims, this.secret);
  }

  subject(targetingKey: string): string {
    return subjectHash(targetingKey, this.secret);
  }

  /**
   * The feedback id of a subject's vote on an interaction: the same for every revision (a
   * re-vote replaces the vote, it is not a new one), derived rather than stored so that it is
   * stable across instances and restarts. UUID-shaped (v8 layout) from a keyed hash.
   */
  feedbackId(interactionId: string, subject: string): string {
    const h = createHmac('sha256', this.secret)
      .update('flywheel.feedback-id.v1:')
      .update(`${subject}:${interactionId}`)
      .digest();
    h[6] = (h[6]! & 0x0f) | 0x80;
    h[8] = (h[8]! & 0x3f) | 0x80;
    const hex = h.subarray(0, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}
