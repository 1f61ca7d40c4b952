import { z } from 'zod';
import { EvalCaseEvent, FeedbackEvent, InteractionEvent, SubjectErasedEvent } from './events';
import { ErrorBody, FeedbackAccepted, FeedbackRequest } from './http';

const exported = {
  InteractionEvent,
  FeedbackEvent,
  EvalCaseEvent,
  SubjectErasedEvent,
  ErrorBody,
  FeedbackRequest,
  FeedbackAccepted,
} as const;

/** JSON Schema (draft 2020-12) for each exported contract, keyed by name. */
export function jsonSchemas(): Record<keyof typeof exported, unknown> {
  const out = {} as Record<keyof typeof exported, unknown>;
  for (const [name, schema] of Object.entries(exported) as [keyof typeof exported, z.ZodType][]) {
    out[name] = {
      $id: `https://flywheel.dev/schemas/${name}.json`,
      ...z.toJSONSchema(schema, { io: 'input' }),
    };
  }
  return out;
}
