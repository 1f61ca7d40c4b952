import type { z } from 'zod';
import { EvalCaseEvent, FeedbackEvent, InteractionEvent, SubjectErasedEvent } from './events';
import { RolloutDecisionEvent } from './rollouts';

/** Kafka topics (mirrors infra/kafka/topics.json, which a test keeps in sync). */
export const Topics = {
  interactions: 'flywheel.interactions.v1',
  feedback: 'flywheel.feedback.v1',
  evalCases: 'flywheel.eval-cases.v1',
  rollouts: 'flywheel.rollouts.v1',
  dlq: 'flywheel.dlq.v1',
  subjects: 'flywheel.subjects.v1',
} as const;
export type Topic = (typeof Topics)[keyof typeof Topics];

/** CloudEvents `type` → payload schema and home topic. Consumers validate with `schema`. */
export const EventCatalog = {
  'dev.flywheel.interaction.v1': { topic: Topics.interactions, schema: InteractionEvent },
  'dev.flywheel.feedback.v1': { topic: Topics.feedback, schema: FeedbackEvent },
  'dev.flywheel.eval-case.v1': { topic: Topics.evalCases, schema: EvalCaseEvent },
  'dev.flywheel.subject-erased.v1': { topic: Topics.subjects, schema: SubjectErasedEvent },
  'dev.flywheel.rollout-decision.v1': { topic: Topics.rollouts, schema: RolloutDecisionEvent },
} as const satisfies Record<string, { topic: Topic; schema: z.ZodType }>;

export type EventType = keyof typeof EventCatalog;
export type EventData<T extends EventType> = z.infer<(typeof EventCatalog)[T]['schema']>;

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EventCatalog, type);
}
