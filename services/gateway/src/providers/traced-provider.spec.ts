import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { EmbeddingResponse, LlmRequest, LlmResponse, LlmStreamEvent } from '../llm/llm.types';
import type { LlmProvider, ProviderCallOptions } from './llm-provider';
import { ProviderError } from './provider-error';
import { tracedProvider } from './traced-provider';

/**
 * The GenAI span of each provider call, with the real OpenTelemetry SDK (in-memory exporter);
 * the provider underneath is a scripted stand-in (no network here: the OTLP integration test
 * covers the real SDK clients).
 */

const exporter = new InMemorySpanExporter();
const tracing = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
tracing.register();
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

const usage = { input_tokens: 11, output_tokens: 7, total_tokens: 18 };
const request: LlmRequest = {
  model: 'gpt-test',
  messages: [{ role: 'user', content: 'secret question' }],
  temperature: 0.2,
  max_tokens: 64,
  params: { top_p: 0.9, seed: 7, stop: ['END'], frequency_penalty: 0.5 },
};
const options = (): ProviderCallOptions => ({ signal: new AbortController().signal });

/** A provider that answers from a script and notes the span active when it is called. */
class Scripted implements LlmProvider {
  activeSpans: (string | undefined)[] = [];
  constructor(
    private readonly script: { fail?: ProviderError; events?: LlmStreamEvent[]; breakAfter?: number },
  ) {}
  refusal(field: string): string | undefined {
    return field === 'logprobs' ? 'no logprobs here' : undefined;
  }
  async complete(): Promise<LlmResponse> {
    this.activeSpans.push(trace.getActiveSpan()?.spanContext().spanId);
    if (this.script.fail) throw this.script.fail;
    return {
      text: 'answer',
      usage,
      finish_reason: 'length',
      response_model: 'gpt-test-0601',
      response_id: 'c-1',
    };
  }
  async embed(): Promise<EmbeddingResponse> {
    this.activeSpans.push(trace.getActiveSpan()?.spanContext().spanId);
    if (this.script.fail) throw this.script.fail;
    return { vectors: [[0.6, 0.8]], usage: { input_tokens: 5, output_tokens: 0, total_tokens: 5 } };
  }
  async *stream(): AsyncIterable<LlmStreamEvent> {
    const events = this.script.events ?? [];
    for (let i = 0; i < events.length; i++) {
      this.activeSpans.push(trace.getActiveSpan()?.spanContext().spanId);
      if (this.script.breakAfter === i) throw new ProviderError('network', 'socket hang up');
      yield events[i] as LlmStreamEvent;
    }
  }
}

const identity = { kind: 'openai', base_url: 'https://llm.example.com:8443/v1' };

function only(): ReadableSpan {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0] as ReadableSpan;
}

describe('tracedProvider', () => {
  it('records a completion as a CLIENT span with the GenAI request, response and usage attributes, active during the call', async () => {
    const inner = new Scripted({});
    const parent = trace.getTracer('test').startSpan('request');
    const response = await context.with(trace.setSpan(context.active(), parent), () =>
      tracedProvider(inner, identity).complete(request, options()),
    );
    parent.end();
    expect(response.text).toBe('answer');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-test')!;
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(inner.activeSpans).toEqual([span.spanContext().spanId]);
    expect(span.kind).toBe(2 /* SpanKind.CLIENT */);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.seed': 7,
      'gen_ai.request.frequency_penalty': 0.5,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.output.type': 'text',
      'server.address': 'llm.example.com',
      'server.port': 8443,
      'gen_ai.response.model': 'gpt-test-0601',
      'gen_ai.response.id': 'c-1',
      'gen_ai.response.finish_reasons': ['length'],
      'gen_ai.usage.input_tokens': 11,
      'gen_ai.usage.output_tokens': 7,
    });
    expect(JSON.stringify(span.attributes)).not.toContain('secret question');
  });

  it('marks a failed call with error.type and an error status, and rethrows the same error', async () => {
    const error = new ProviderError('rate_limited', 'slow down: your prompt was "secret question"', 429);
    const traced = tracedProvider(new Scripted({ fail: error }), { kind: 'anthropic' });
    await expect(
      traced.complete({ ...request, output_schema: { name: 'o', schema: {} } }, options()),
    ).rejects.toBe(error);
    const span = only();
    expect(span.attributes['error.type']).toBe('rate_limited');
    expect(span.attributes['server.address']).toBe('api.anthropic.com');
    expect(span.attributes['gen_ai.output.type']).toBe('json');
    expect(span.status).toEqual({ code: 2, message: 'rate_limited' });
    expect(JSON.stringify([span.attributes, span.status, span.events])).not.toContain('secret question');
  });

  it('ends a stream’s span at its done event, with the usage and model it reported, the call running inside the span', async () => {
    const inner = new Scripted({
      events: [
        { type: 'delta', text: 'Hel' },
        { type: 'delta', text: 'lo' },
        { type: 'done', finish_reason: 'stop', usage, response_model: 'claude-x', response_id: 'msg_1' },
      ],
    });
    const seen: LlmStreamEvent[] = [];
    for await (const e of tracedProvider(inner, identity).stream(request, options())) seen.push(e);
    expect(seen.map((e) => e.type)).toEqual(['delta', 'delta', 'done']);
    const span = only();
    expect(new Set(inner.activeSpans)).toEqual(new Set([span.spanContext().spanId]));
    expect(span.attributes).toMatchObject({
      'gen_ai.response.model': 'claude-x',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.output_tokens': 7,
    });
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('ends a stream that breaks with the error class, and one its consumer leaves with `cancelled`', async () => {
    const events: LlmStreamEvent[] = [
      { type: 'delta', text: 'a' },
      { type: 'delta', text: 'b' },
      { type: 'done', finish_reason: 'stop' },
    ];
    const broken = tracedProvider(new Scripted({ events, breakAfter: 1 }), identity).stream(
      request,
      options(),
    );
    await expect(
      (async () => {
        for await (const _ of broken);
      })(),
    ).rejects.toThrow('socket hang up');
    expect(only().attributes['error.type']).toBe('network');

    exporter.reset();
    for await (const e of tracedProvider(new Scripted({ events }), identity).stream(request, options())) {
      if (e.type === 'delta') break;
    }
    expect(only().attributes['error.type']).toBe('cancelled');
  });

  it('records an embeddings call as `embeddings <model>` with its input tokens, and a failed one with error.type', async () => {
    const inner = new Scripted({});
    const embedding = { model: 'embed-test', input: ['secret question'] };
    const response = await tracedProvider(inner, identity).embed!(embedding, options());
    expect(response.vectors).toEqual([[0.6, 0.8]]);
    const span = only();
    expect(span.name).toBe('embeddings embed-test');
    expect(inner.activeSpans).toEqual([span.spanContext().spanId]);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'embed-test',
      'server.address': 'llm.example.com',
      'server.port': 8443,
      'gen_ai.usage.input_tokens': 5,
    });

    exporter.reset();
    const error = new ProviderError('server_error', 'upstream 500', 500);
    await expect(
      tracedProvider(new Scripted({ fail: error }), identity).embed!(embedding, options()),
    ).rejects.toBe(error);
    expect(only().attributes['error.type']).toBe('server_error');
    expect(JSON.stringify(only().attributes)).not.toContain('secret question');
  });

  it('passes every other member through to the provider', () => {
    const traced = tracedProvider(new Scripted({}), identity);
    expect(traced.refusal?.('logprobs', true)).toBe('no logprobs here');
    expect(traced.refusal?.('seed', 1)).toBeUndefined();
  });
});
