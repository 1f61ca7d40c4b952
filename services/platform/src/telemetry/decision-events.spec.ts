import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { activeTraceRef, recordEvaluationResult, recordFlagEvaluation } from './decision-events';

/** The flag and vote events with the real OpenTelemetry SDK (in-memory exporter). */

const exporter = new InMemorySpanExporter();
const tracing = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
tracing.register();
afterAll(() => tracing.shutdown());
beforeEach(() => exporter.reset());

/** Runs `fn` inside a fresh span `name` and returns that span once ended. */
function inSpan(name: string, fn: () => void): ReadableSpan {
  const span = trace.getTracer('test').startSpan(name);
  context.with(trace.setSpan(context.active(), span), fn);
  span.end();
  return exporter.getFinishedSpans().find((s) => s.name === name)!;
}

const vote = { name: 'user_feedback', label: 'down', value: 0, explanation: 'incorrect' };

describe('decision events', () => {
  it('records a flag evaluation on the active span, lowercasing the reason and splitting out the error class', () => {
    const span = inSpan('request', () =>
      recordFlagEvaluation({
        key: 'chat',
        provider: 'flagd',
        variant: 'control',
        reason: 'ERROR',
        contextId: 'f'.repeat(64),
        error: 'FLAG_NOT_FOUND: flag chat not found',
      }),
    );
    expect(span.events).toHaveLength(1);
    expect(span.events[0]!.name).toBe('feature_flag.evaluation');
    expect(span.events[0]!.attributes).toEqual({
      'feature_flag.key': 'chat',
      'feature_flag.provider.name': 'flagd',
      'feature_flag.result.variant': 'control',
      'feature_flag.result.reason': 'error',
      'feature_flag.context.id': 'f'.repeat(64),
      'error.type': 'FLAG_NOT_FOUND',
      'error.message': 'FLAG_NOT_FOUND: flag chat not found',
    });
  });

  it('does nothing without a recording span', () => {
    recordFlagEvaluation({ key: 'k', provider: 'flagd', variant: 'v', reason: 'STATIC', contextId: 'x' });
    recordEvaluationResult(vote);
    expect(activeTraceRef()).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('puts a vote in the trace of the answer it judges, linked to the vote request', () => {
    let ref: string | undefined;
    const answer = inSpan('answer', () => (ref = activeTraceRef()));
    expect(ref).toBe(`${answer.spanContext().traceId}-${answer.spanContext().spanId}`);

    const voteRequest = inSpan('vote request', () =>
      recordEvaluationResult({
        ...vote,
        interactionTrace: ref,
        attributes: { 'flywheel.interaction.id': 'i-1' },
      }),
    );
    const evaluation = exporter.getFinishedSpans().find((s) => s.name === 'evaluation user_feedback')!;
    expect(evaluation.spanContext().traceId).toBe(answer.spanContext().traceId);
    expect(evaluation.parentSpanContext?.spanId).toBe(answer.spanContext().spanId);
    expect(evaluation.links.map((l) => l.context.spanId)).toEqual([voteRequest.spanContext().spanId]);
    expect(evaluation.attributes).toEqual({ 'flywheel.interaction.id': 'i-1' });
    expect(evaluation.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        'gen_ai.evaluation.result',
        {
          'gen_ai.evaluation.name': 'user_feedback',
          'gen_ai.evaluation.score.label': 'down',
          'gen_ai.evaluation.score.value': 0,
          'gen_ai.evaluation.explanation': 'incorrect',
        },
      ],
    ]);
    expect(voteRequest.events).toEqual([]);
  });

  it.each([undefined, 'not-a-trace', `${'0'.repeat(32)}-${'1'.repeat(16)}`])(
    'without a usable trace of the answer (%s), records the vote on the vote request’s span',
    (interactionTrace) => {
      const voteRequest = inSpan('vote request', () =>
        recordEvaluationResult({ ...vote, explanation: '', interactionTrace }),
      );
      expect(exporter.getFinishedSpans()).toHaveLength(1);
      expect(voteRequest.events.map((e) => [e.name, e.attributes])).toEqual([
        [
          'gen_ai.evaluation.result',
          {
            'gen_ai.evaluation.name': 'user_feedback',
            'gen_ai.evaluation.score.label': 'down',
            'gen_ai.evaluation.score.value': 0,
          },
        ],
      ]);
    },
  );
});
