export {
  FeedbackTokenPayload,
  mintFeedbackToken,
  mintTrustedFeedbackToken,
  verifyFeedbackToken,
  type FeedbackTokenClaims,
  type FeedbackTokenFailure,
  type FeedbackTokenVerification,
} from './feedback-token';
export { subjectHash } from './subject-hash';
export { assertFeedbackSecret, MIN_SECRET_BYTES, WeakSecretError } from './feedback-secret';
