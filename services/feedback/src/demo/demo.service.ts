import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '@flywheel/platform';
import type { FeedbackTokens } from '../feedback/feedback-tokens';

/** The route and variant canned demo interactions carry, so nothing downstream mistakes them for real ones. */
export const CANNED_ROUTE = 'demo-chat';
export const CANNED_VARIANT = 'canned-demo';

const ANSWERS = [
  'Flywheel sits between your product and its LLM providers: it routes each request through a flag-picked variant and a fallback chain.',
  'Every answer gets a feedback token. A thumbs-down on it becomes a regression case your CI can run against the next prompt change.',
  'Votes go from this widget to the feedback service, which checks the token and puts them on Kafka for the curator.',
  'You can change your vote: the new one replaces the old one, and the event carries the next revision.',
];

export interface CannedInteraction {
  interaction_id: string;
  feedback_token: string;
  answer: string;
  route: string;
  variant: string;
}

/**
 * Canned demo interactions, for when no gateway is configured: a fixed answer and a feedback
 * token minted here, for real, with the secret the gateway would use — so votes on it go
 * through the same checks and reach Kafka like any other. Labelled as canned on the page.
 */
export class DemoService {
  constructor(
    private readonly tokens: FeedbackTokens,
    private readonly clock: Clock,
    private readonly tokenTtlS: number,
  ) {}

  cannedInteraction(message: string, visitor: string): CannedInteraction {
    const pick = createHash('sha256').update(message).digest()[0]! % ANSWERS.length;
    const interactionId = randomUUID();
    return {
      interaction_id: interactionId,
      feedback_token: this.tokens.mint({
        interaction_id: interactionId,
        route: CANNED_ROUTE,
        variant: CANNED_VARIANT,
        sub: this.tokens.subject(`demo-visitor:${visitor}`),
        exp: Math.floor(this.clock.now() / 1000) + this.tokenTtlS,
      }),
      answer: `You asked: “${message}”. ${ANSWERS[pick]}`,
      route: CANNED_ROUTE,
      variant: CANNED_VARIANT,
    };
  }
}
