import { ErrorBody } from '@flywheel/contracts';
import {
  ChatCompletionRequest,
  ChatCompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  InvokeRequest,
  InvokeResponse,
  MessagesErrorBody,
  MessagesRequest,
  MessagesResponse,
  ModelEntry,
  ModelList,
} from '@flywheel/contracts';
import { buildOpenApi } from '@flywheel/platform';

const errors = {
  400: {
    description: 'invalid request (field paths in details.issues), or max_tokens_exceeded (the API key cap)',
    schema: ErrorBody,
  },
  401: { description: 'missing or unknown API key', schema: ErrorBody },
  403: {
    description:
      'x-flywheel-variant without an admin key, or outside the API key scope: route_not_allowed, model_not_allowed, system_not_allowed',
    schema: ErrorBody,
  },
  404: { description: 'unknown route or model', schema: ErrorBody },
  409: {
    description: 'idempotency_in_progress: a request with this Idempotency-Key still runs (Retry-After)',
    schema: ErrorBody,
  },
  413: { description: 'body over the size limit', schema: ErrorBody },
  422: {
    description: 'idempotency_key_reused: this Idempotency-Key was used for another request',
    schema: ErrorBody,
  },
  429: {
    description:
      'rate_limited: the API key requests_per_min, tokens_per_min or concurrent limit (Retry-After)',
    schema: ErrorBody,
  },
  499: { description: 'the client went away (cancelled)', schema: ErrorBody },
  502: {
    description: 'upstream_unavailable, or structured_output_invalid (details.errors)',
    schema: ErrorBody,
  },
  503: {
    description:
      'unavailable: the event spool is full, or Redis is down for an Idempotency-Key or an API key with limits (Retry-After)',
    schema: ErrorBody,
  },
  504: { description: 'deadline_exceeded', schema: ErrorBody },
};

/** The gateway's OpenAPI document, generated from the contracts' zod schemas. */
export function gatewayOpenApi() {
  return buildOpenApi(
    {
      title: 'Flywheel gateway',
      version: '1',
      description:
        'OpenAI-compatible chat completions with flag-driven route variants, fallback chains and validated ' +
        'structured output. Answers carry x-flywheel-interaction-id, x-flywheel-feedback-token, ' +
        'x-flywheel-variant and x-flywheel-model headers. Optional request headers: x-flywheel-user ' +
        '(targeting key), x-flywheel-app, x-flywheel-tenant, x-flywheel-ctx-<name> (flag context), ' +
        'x-flywheel-variant (admin only), traceparent, Idempotency-Key (non-streaming requests: the stored ' +
        'answer is replayed with idempotent-replayed: true). An answer is sent once its interaction event ' +
        'is durable.',
    },
    [
      {
        method: 'post',
        path: '/v1/chat/completions',
        summary: 'OpenAI Chat Completions; model "route:<name>" or a model id',
        auth: true,
        request: ChatCompletionRequest,
        responses: {
          200: {
            description:
              'the answer; with stream: true, text/event-stream of chat.completion.chunk events ' +
              '(the first carries `flywheel`) ending with data: [DONE], or with data: {"error": …} when ' +
              'the stream broke after its first token',
            schema: ChatCompletionResponse,
          },
          ...errors,
        },
      },
      {
        method: 'post',
        path: '/v1/messages',
        summary: 'Anthropic Messages API (key as x-api-key or Bearer); model "route:<name>" or a model id',
        auth: true,
        request: MessagesRequest,
        responses: {
          200: {
            description:
              'the message; with stream: true, text/event-stream of Messages events (message_start carries ' +
              '`flywheel`) ending with message_stop, or with an error event when the stream broke after its first token',
            schema: MessagesResponse,
          },
          400: { description: 'invalid request (error.param names the field)', schema: MessagesErrorBody },
          401: { description: 'missing or unknown API key', schema: MessagesErrorBody },
          404: { description: 'unknown route or model', schema: MessagesErrorBody },
          502: { description: 'no model of the chain could answer', schema: MessagesErrorBody },
        },
      },
      {
        method: 'post',
        path: '/v1/embeddings',
        summary: 'OpenAI Embeddings from an embedding model or a route of embedding models',
        auth: true,
        request: EmbeddingsRequest,
        responses: { 200: { description: 'the vectors', schema: EmbeddingsResponse }, ...errors },
      },
      {
        method: 'get',
        path: '/v1/models',
        summary: 'configured model ids and route:<name> entries (OpenAI model list)',
        auth: true,
        responses: { 200: { description: 'the list', schema: ModelList }, 401: errors[401] },
      },
      {
        method: 'get',
        path: '/v1/models/{id}',
        summary: 'one model id or route:<name>',
        auth: true,
        responses: { 200: { description: 'the entry', schema: ModelEntry }, 401: errors[401], 404: errors[404] },
      },
      {
        method: 'post',
        path: '/v1/routes/{route}/invoke',
        summary: 'Runs a route with its prompt template filled from input (or with messages)',
        auth: true,
        request: InvokeRequest,
        responses: { 200: { description: 'the answer', schema: InvokeResponse }, ...errors },
      },
    ],
  );
}
