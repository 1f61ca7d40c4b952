import type { FlywheelAnswerMeta } from '@flywheel/contracts';
import type { Interaction } from '../interactions/interaction.service';

export const HEADER_INTERACTION_ID = 'x-flywheel-interaction-id';
export const HEADER_FEEDBACK_TOKEN = 'x-flywheel-feedback-token';
export const HEADER_VARIANT = 'x-flywheel-variant';
export const HEADER_MODEL = 'x-flywheel-model';

/** The `flywheel` object of an answer: who answered and the credential for feedback. */
export function answerMeta(interaction: Interaction, model: string): FlywheelAnswerMeta {
  return {
    interaction_id: interaction.id,
    feedback_token: interaction.feedbackToken,
    route: interaction.assignment.route,
    variant: interaction.assignment.variant,
    model,
  };
}

/** The same as `x-flywheel-*` response headers. */
export function answerHeaders(meta: FlywheelAnswerMeta): Record<string, string> {
  return {
    [HEADER_INTERACTION_ID]: meta.interaction_id,
    [HEADER_FEEDBACK_TOKEN]: meta.feedback_token,
    [HEADER_VARIANT]: meta.variant,
    [HEADER_MODEL]: meta.model,
  };
}

/** What an error after routing still says: which interaction (see its event) and variant. */
export function routedHeaders(interaction: Interaction): Record<string, string> {
  return { [HEADER_INTERACTION_ID]: interaction.id, [HEADER_VARIANT]: interaction.assignment.variant };
}
