import { createHash } from 'node:crypto';
import { FeedbackRequest } from '@flywheel/contracts';

/** FeedbackRequest (contracts) plus: every reason is one of the configured `feedback.reasons`. */
export function feedbackRequestSchema(reasons: readonly string[]) {
  const allowed = new Set(reasons);
  return FeedbackRequest.superRefine((body, ctx) => {
    body.reasons?.forEach((reason, i) => {
      if (!allowed.has(reason)) {
        ctx.addIssue({
          code: 'custom',
          path: ['reasons', i],
          message: `unknown reason; expected one of: ${reasons.join(', ')}`,
        });
      }
    });
  });
}

/** What makes two votes "the same vote": rating, reasons (in order), comment and correction. */
export function voteFingerprint(body: FeedbackRequest): string {
  const content = [body.rating, body.reasons ?? [], body.comment ?? null, body.correction ?? null];
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url');
}
