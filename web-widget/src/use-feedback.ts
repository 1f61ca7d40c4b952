import { useEffect, useRef, useState } from 'react';
import { defaultOutbox, type Outbox, type VoteStatus } from './outbox';
import type { DeliveryError, FeedbackBody, FeedbackDetails, Rating } from './types';

export interface UseFeedbackOptions {
  /** The `interaction_id` the gateway returned with the answer. */
  interactionId: string;
  /** The feedback token the gateway returned with the answer. */
  token: string;
  /** Base URL of the feedback service; votes go to `{endpoint}/v1/feedback`. */
  endpoint: string;
  /** Delivery and queue; default: one outbox per endpoint on `fetch` and `localStorage`. */
  outbox?: Outbox;
}

export interface FeedbackState {
  /** The user's latest vote on this interaction, or null before the first one. */
  rating: Rating | null;
  status: VoteStatus;
  /** Set when `status` is `error`. */
  error?: DeliveryError;
  /** The rating chosen with `hold` and not sent yet. */
  held?: Rating;
  /** Votes (or re-votes: the latest vote replaces the previous one server-side). Ends any hold. */
  vote(rating: Rating, details?: FeedbackDetails): void;
  /** Chooses a rating without sending it, while the user adds details; `vote` then sends it once,
   * with them. A held rating is sent bare if the page is hidden (`pagehide`) or the component
   * unmounts first. `hold()` drops it unsent. */
  hold(rating?: Rating): void;
}

interface State {
  interactionId: string;
  rating: Rating | null;
  status: VoteStatus;
  error?: DeliveryError;
  held?: Rating;
}

/** State and actions of one interaction's vote, for custom feedback UIs. */
export function useFeedback({
  interactionId,
  token,
  endpoint,
  outbox = defaultOutbox(endpoint),
}: UseFeedbackOptions): FeedbackState {
  const initial = (): State => {
    const queued = outbox.queued(interactionId);
    return { interactionId, rating: queued?.body.rating ?? null, status: queued ? 'queued' : 'idle' };
  };
  const [state, setState] = useState(initial);
  let current = state;
  if (state.interactionId !== interactionId) setState((current = initial()));

  /** Sends the held rating bare; `leaving`: the page is being hidden. */
  const release = useRef<((leaving?: boolean) => void) | undefined>(undefined);
  // Plain functions, not useCallback: every byte counts against the bundle budget, and nothing
  // here depends on their identity (the effect below reaches the held vote through a ref).
  const vote = (rating: Rating, details?: FeedbackDetails, leaving?: boolean) => {
    release.current = undefined;
    setState({ interactionId, rating, status: 'sending' });
    void outbox.submit(endpoint, feedbackBody(interactionId, token, rating, details), leaving);
  };
  const hold = (rating?: Rating) => {
    release.current = rating && ((leaving) => vote(rating, {}, leaving));
    setState((s) => ({ ...s, held: rating }));
  };
  useEffect(() => {
    const unsubscribe = outbox.subscribe((event) => {
      if (event.interactionId === interactionId)
        setState((s) => ({ ...s, status: event.status, error: event.error }));
    });
    const leave = () => release.current?.(true);
    addEventListener('pagehide', leave);
    void outbox.flush();
    return () => {
      unsubscribe();
      removeEventListener('pagehide', leave);
      release.current?.(); // unmounted, or another interaction: a held vote still counts
    };
  }, [outbox, interactionId]);

  return { ...current, vote, hold };
}

/** The request body: empty fields left out, text trimmed and cut to the service's limits. */
export function feedbackBody(
  interactionId: string,
  token: string,
  rating: Rating,
  details: FeedbackDetails = {},
): FeedbackBody {
  const body: FeedbackBody = { interaction_id: interactionId, token, rating };
  const reasons = [...new Set(details.reasons ?? [])].filter((r) => r && r.length <= 64).slice(0, 16);
  const comment = details.comment?.trim().slice(0, 2000);
  const correction = details.correction?.trim().slice(0, 8000);
  if (reasons.length) body.reasons = reasons;
  if (comment) body.comment = comment;
  if (correction) body.correction = correction;
  return body;
}
