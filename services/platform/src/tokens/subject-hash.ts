import { createHmac } from 'node:crypto';
import { feedbackKey } from './feedback-secret';

/**
 * Domain separation: the subject MAC input always starts with this label, a token MAC input
 * (payload JSON) always with `{`, so a subject hash — which the client sees in its token — can
 * never double as a token signature for a targeting key the client chose to look like a payload.
 */
const SUBJECT_LABEL = 'flywheel.subject.v1:';

/**
 * The subject of a feedback vote: lowercase hex HMAC-SHA256 (64 chars), keyed by
 * FLYWHEEL_FEEDBACK_SECRET, of the targeting key (the user). Keyed, so raw user ids cannot be
 * recovered from events by hashing candidate ids; stable, so "one vote per subject per
 * interaction" holds. Matches `subject_hash` in the event contracts.
 */
export function subjectHash(targetingKey: string, secret: string): string {
  return createHmac('sha256', feedbackKey(secret))
    .update(SUBJECT_LABEL)
    .update(targetingKey, 'utf8')
    .digest('hex');
}
