import type { KeyAsk } from '../auth/key-scope';
import { isDeepStrictEqual } from 'node:util';
import type { ChatCompletionRequest } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import type { ChainRequest, ChainVariant } from '../chain/chain-executor';
import type { JsonSchema } from '../config.types';
import type { SamplingParams, ToolChoice, ToolSpec } from '../llm/llm.types';
import type { RequestField } from '../providers/llm-provider';

/**
 * The Chat Completions fields beyond the messages, as the chain takes them: tools, tool choice,
 * JSON mode and the sampling parameters. Pure functions; the field table is in the gateway README.
 */

type ChainExtras = Omit<ChainRequest, 'messages'>;

const SAMPLING: readonly (keyof SamplingParams)[] = [
  'top_p',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'reasoning_effort',
  'service_tier',
  'user',
  'metadata',
  'verbosity',
  'prompt_cache_key',
  'safety_identifier',
];

export function invalidField(path: string, message: string): DomainError {
  return new DomainError('invalid_request', `${path}: ${message}`, { issues: [{ path, message }] });
}

function sampling(body: ChatCompletionRequest): SamplingParams | undefined {
  const params: SamplingParams = {};
  let any = false;
  if (body.stop !== undefined && body.stop !== null) {
    params.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
    any = true;
  }
  for (const key of SAMPLING) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    (params as Record<string, unknown>)[key] = value;
    any = true;
  }
  return any ? params : undefined;
}

function toolChoice(choice: NonNullable<ChatCompletionRequest['tool_choice']>): ToolChoice {
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

/** The request's tools, tool choice, JSON mode and parameters. */
export function chainExtras(body: ChatCompletionRequest): ChainExtras {
  const extras: ChainExtras = {};
  if (body.tools && body.tools.length > 0) {
    extras.tools = body.tools.map(({ function: f }): ToolSpec => {
      const tool: ToolSpec = {
        name: f.name,
        parameters: (f.parameters ?? { type: 'object', properties: {} }) as JsonSchema,
      };
      if (f.description !== undefined) tool.description = f.description;
      if (typeof f.strict === 'boolean') tool.strict = f.strict;
      return tool;
    });
    const names = new Set(extras.tools.map((t) => t.name));
    const choice = body.tool_choice;
    if (choice && typeof choice !== 'string' && !names.has(choice.function.name)) {
      throw invalidField('tool_choice.function.name', `"${choice.function.name}" is not one of the tools`);
    }
  } else if (body.tool_choice !== undefined && body.tool_choice !== null && body.tool_choice !== 'none') {
    throw invalidField('tool_choice', 'needs tools');
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null && extras.tools !== undefined)
    extras.tool_choice = toolChoice(body.tool_choice);
  if (typeof body.parallel_tool_calls === 'boolean' && extras.tools !== undefined)
    extras.parallel_tool_calls = body.parallel_tool_calls;
  if (body.response_format?.type === 'json_object') extras.json_object = true;
  const params = sampling(body);
  if (params !== undefined) extras.params = params;
  return extras;
}

/** Every client field a provider may refuse, with its value. */
export function refusableFields(extras: ChainExtras): [RequestField, unknown][] {
  const fields: [RequestField, unknown][] = [];
  if (extras.json_object === true) fields.push(['json_object', true]);
  for (const [key, value] of Object.entries(extras.params ?? {}))
    fields.push([key as keyof SamplingParams, value]);
  return fields;
}

const SCHEMA_CACHE_SIZE = 256;
/** Direct-call schemas by their JSON text, so a repeated schema is compiled once (oldest dropped first). */
const schemas = new Map<string, JsonSchema>();

function sharedSchema(schema: JsonSchema): JsonSchema {
  const key = JSON.stringify(schema);
  const known = schemas.get(key);
  if (known !== undefined) return known;
  if (schemas.size >= SCHEMA_CACHE_SIZE) schemas.delete(schemas.keys().next().value as string);
  schemas.set(key, schema);
  return schema;
}

function withoutMeta(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/**
 * `response_format: json_schema` on a direct call: the schema becomes the call's output schema.
 * Returns the chain with it, or the chain unchanged.
 */
export function directOutputSchema(body: ChatCompletionRequest, chain: ChainVariant): ChainVariant {
  const format = body.response_format;
  if (format?.type !== 'json_schema') return chain;
  const schema = sharedSchema((format.json_schema.schema ?? { type: 'object' }) as JsonSchema);
  return { ...chain, output_schema: schema };
}

/** `response_format: json_schema` on a route must be the assigned variant's own output schema. */
export function checkRouteFormat(body: ChatCompletionRequest, route: string, variant: ChainVariant): void {
  const format = body.response_format;
  if (format?.type !== 'json_schema') return;
  const own = variant.output_schema;
  if (own === undefined) {
    throw invalidField(
      'response_format.json_schema',
      `route ${route} has no output_schema; drop response_format or call a model directly`,
    );
  }
  const sent = format.json_schema.schema ?? {};
  if (!isDeepStrictEqual(withoutMeta(sent), withoutMeta(own))) {
    throw invalidField(
      'response_format.json_schema.schema',
      `does not match the output_schema of route ${route}; send that schema or leave response_format out`,
    );
  }
}

/** `model: "route:<name>"` names a route; anything else is a direct model id. */
export const ROUTE_PREFIX = 'route:';

/** What a request for `model` (`route:<name>` or a model id) asks of its API key (see auth/key-scope). */
export function modelKeyAsk(model: string): KeyAsk {
  const isRoute = model.startsWith(ROUTE_PREFIX);
  return { route: isRoute ? model.slice(ROUTE_PREFIX.length) : null, model: isRoute ? null : model };
}

/** What a chat request asks of its API key: the route or model, the messages, max tokens. */
export function chatKeyAsk(body: ChatCompletionRequest): KeyAsk {
  return {
    ...modelKeyAsk(body.model),
    messages: body.messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
  };
}
