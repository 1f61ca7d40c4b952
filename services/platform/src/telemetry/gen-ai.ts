import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * Spans of calls to LLM APIs with the OpenTelemetry GenAI semantic conventions (semconv 1.37+,
 * "Semantic conventions for generative client AI spans"): span name `{operation} {request
 * model}`, kind CLIENT, the `gen_ai.*` request, response and usage attributes, `error.type` on
 * failure. Backends that know the conventions (Langfuse, Datadog, Grafana, Phoenix…) show model,
 * tokens and finish reasons from these. Prompt and answer text are never recorded.
 */

const TRACER = 'flywheel';

/** What is known when the call starts. */
export interface GenAiCall {
  operation: 'chat' | 'embeddings';
  /** `gen_ai.provider.name`: the API's flavour (`openai`, `anthropic`) */
  provider: string;
  /** the provider's model name as sent */
  requestModel: string;
  server?: { address: string; port: number };
  /** `gen_ai.request.*` parameters, only those the request sets */
  request?: {
    max_tokens?: number;
    temperature?: number;
    top_p?: number;
    seed?: number;
    frequency_penalty?: number;
    presence_penalty?: number;
    stop_sequences?: readonly string[];
  };
  /** `gen_ai.output.type`: `json` for structured output / JSON mode */
  outputType?: 'text' | 'json';
}

/** What the answer reported. */
export interface GenAiResult {
  responseModel?: string;
  responseId?: string;
  finishReasons?: readonly string[];
  inputTokens?: number;
  outputTokens?: number;
}

/** One traced GenAI call; every method is a no-op once the span has ended. */
export interface GenAiSpan {
  /** Runs `fn` with this span active, so the HTTP client span of the call is its child. */
  run<T>(fn: () => T): T;
  end(result: GenAiResult): void;
  /** Ends the span as failed; `errorType` is a low-cardinality class (`rate_limit`, `timeout`, `500`…). */
  fail(errorType: string): void;
}

class RecordingGenAiSpan implements GenAiSpan {
  private ended = false;
  private readonly context: Context;

  constructor(private readonly span: Span) {
    this.context = trace.setSpan(context.active(), span);
  }

  run<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  end(result: GenAiResult): void {
    if (this.ended) return;
    this.ended = true;
    const a: Attributes = {};
    if (result.responseModel !== undefined) a['gen_ai.response.model'] = result.responseModel;
    if (result.responseId !== undefined) a['gen_ai.response.id'] = result.responseId;
    if (result.finishReasons !== undefined) a['gen_ai.response.finish_reasons'] = [...result.finishReasons];
    if (result.inputTokens !== undefined) a['gen_ai.usage.input_tokens'] = result.inputTokens;
    if (result.outputTokens !== undefined) a['gen_ai.usage.output_tokens'] = result.outputTokens;
    this.span.setAttributes(a);
    this.span.end();
  }

  fail(errorType: string): void {
    if (this.ended) return;
    this.ended = true;
    this.span.setAttribute('error.type', errorType);
    // the class only: an upstream message may quote the request
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    this.span.end();
  }
}

/**
 * Starts the span of one GenAI call as a child of the active span; undefined when nothing
 * records it (tracing off, or the trace not sampled), so an untraced call allocates nothing more.
 */
export function startGenAiSpan(call: GenAiCall): GenAiSpan | undefined {
  const tracer = trace.getTracer(TRACER);
  const span = tracer.startSpan(`${call.operation} ${call.requestModel}`, { kind: SpanKind.CLIENT });
  if (!span.isRecording()) return undefined;
  span.setAttributes(callAttributes(call));
  return new RecordingGenAiSpan(span);
}

function callAttributes(call: GenAiCall): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': call.operation,
    'gen_ai.provider.name': call.provider,
    // the pre-1.37 name of gen_ai.provider.name, still read by some backends
    'gen_ai.system': call.provider,
    'gen_ai.request.model': call.requestModel,
  };
  if (call.server) {
    a['server.address'] = call.server.address;
    a['server.port'] = call.server.port;
  }
  if (call.outputType !== undefined) a['gen_ai.output.type'] = call.outputType;
  const r = call.request;
  if (r) {
    if (r.max_tokens !== undefined) a['gen_ai.request.max_tokens'] = r.max_tokens;
    if (r.temperature !== undefined) a['gen_ai.request.temperature'] = r.temperature;
    if (r.top_p !== undefined) a['gen_ai.request.top_p'] = r.top_p;
    if (r.seed !== undefined) a['gen_ai.request.seed'] = r.seed;
    if (r.frequency_penalty !== undefined) a['gen_ai.request.frequency_penalty'] = r.frequency_penalty;
    if (r.presence_penalty !== undefined) a['gen_ai.request.presence_penalty'] = r.presence_penalty;
    if (r.stop_sequences !== undefined) a['gen_ai.request.stop_sequences'] = [...r.stop_sequences];
  }
  return a;
}
