export { FeedbackWidget, type FeedbackWidgetProps } from './feedback-widget';
export { useFeedback, type FeedbackState, type UseFeedbackOptions } from './use-feedback';
export {
  createOutbox,
  defaultOutbox,
  type Outbox,
  type OutboxOptions,
  type VoteEvent,
  type VoteStatus,
} from './outbox';
export type { FetchLike, ResponseLike, RetryOptions } from './transport';
export type { QueuedVote, StorageLike } from './queue';
export {
  DEFAULT_REASONS,
  DEFAULT_STRINGS,
  type ReasonOption,
  type StringOverrides,
  type Strings,
} from './strings';
export { widgetCss } from './styles';
export type { DeliveryError, FeedbackBody, FeedbackDetails, Rating } from './types';
