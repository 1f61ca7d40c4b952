import { z } from 'zod';

/** ISO-8601 timestamp with offset, as produced by `Date.prototype.toISOString()`. */
export const Timestamp = z.iso.datetime({ offset: true });

/** Ids are opaque strings; producers use UUIDs, consumers must not rely on the format. */
export const Id = z.string().min(1).max(128);

/** A route, model, variant or flag name as written in flywheel.yaml. */
export const Name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / - only');

export const ChatRole = z.enum(['system', 'user', 'assistant', 'tool', 'developer']);

/** A function call the model asked for; `arguments` is JSON text as the model wrote it. */
export const ToolCall = z.object({
  id: z.string().max(256),
  name: z.string().max(256),
  arguments: z.string(),
});
export type ToolCall = z.infer<typeof ToolCall>;

/**
 * One chat message. `content` is its text (the text parts joined with a newline when the client
 * sent parts; `parts` then keeps each part, and providers receive them as parts).
 */
export const ChatMessage = z.object({
  role: ChatRole,
  content: z.string(),
  name: z.string().max(128).optional(),
  /** the text of each content part, when the client sent an array of parts */
  parts: z.array(z.string()).optional(),
  /** an assistant message's function calls */
  tool_calls: z.array(ToolCall).optional(),
  /** a `tool` message: the call it answers */
  tool_call_id: z.string().max(256).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const Usage = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof Usage>;

export const Rating = z.enum(['up', 'down']);
export type Rating = z.infer<typeof Rating>;
