export {
  createFeedbackApp,
  FEEDBACK_ERROR_STATUS,
  type FeedbackApp,
  type FeedbackAppOptions,
} from './feedback-app';
export {
  parseFeedbackEnv,
  FeedbackEnvSchema,
  DEFAULT_WIDGET_FILE,
  type FeedbackEnv,
  type RateLimit,
} from './env';
export { WidgetBundleMissingError } from './widget/widget-bundle';
export type { VoteTiming } from './feedback/feedback.service';
