import { z } from 'zod';
import { Id, Rating } from './common';

/** Error body used by every service, shaped like OpenAI's: `{"error": {type, code, param, message, details?, error_id?}}`. */
export const ErrorBody = z.object({
  error: z.object({
    /** the stable error code, e.g. `invalid_request`, `unauthorized`, `upstream_unavailable` */
    type: z.string(),
    /** the same code, where OpenAI's SDKs read `err.code` (optional: older servers omit it) */
    code: z.string().optional(),
    /** the offending field path of a validation error (`messages.1.content`), else null */
    param: z.string().nullable().optional(),
    message: z.string(),
    details: z.unknown().optional(),
    error_id: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** `POST /v1/feedback` body (feedback service). */
export const FeedbackRequest = z.strictObject({
  interaction_id: Id,
  token: z.string().min(1).max(2048),
  rating: Rating,
  reasons: z.array(z.string().min(1).max(64)).max(16).optional(),
  comment: z.string().max(2000).optional(),
  correction: z.string().max(8000).optional(),
});
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

export const FeedbackAccepted = z.object({ feedback_id: Id });
export type FeedbackAccepted = z.infer<typeof FeedbackAccepted>;
