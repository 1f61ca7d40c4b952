export type Rating = 'up' | 'down';

/** What a user can add to a vote (sent with `down` votes by the widget; any vote via the hook). */
export interface FeedbackDetails {
  /** Stable reason ids, e.g. `incorrect`, `wrong_format`. */
  reasons?: string[];
  /** Free text, at most 2000 characters (longer input is cut). */
  comment?: string;
  /** "What should it have said", at most 8000 characters (longer input is cut). */
  correction?: string;
}

/** The JSON body of `POST {endpoint}/v1/feedback`. */
export interface FeedbackBody extends FeedbackDetails {
  interaction_id: string;
  token: string;
  rating: Rating;
}

/** Why a vote could not be delivered: the HTTP status (absent for a network failure) and the
 * server's `error.type` when it sent one. Never shown to the user as is. */
export interface DeliveryError {
  status?: number;
  type?: string;
}
