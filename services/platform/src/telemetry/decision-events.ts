import {
  type Attributes,
  type Link,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

/**
 * The two decisions around an answer, as OpenTelemetry semantic-convention events: the flag
 * evaluation that picked the variant (`feature_flag.evaluation`, on the request's span) and the
 * user's vote on the answer (`gen_ai.evaluation.result`, in the interaction's own trace).
 */

const TRACER = 'flywheel';

export interface FlagEvaluation {
  key: string;
  /** the flag provider (`flagd`) */
  provider: string;
  variant: string;
  /** OpenFeature reason (`TARGETING_MATCH`, `STATIC`, `ERROR`…) or `FORCED`; recorded lowercase */
  reason: string;
  /** `feature_flag.context.id`: a hash of the targeting key, never the key itself */
  contextId: string;
  /** why the flag could not be used */
  error?: string;
}

/** Adds a `feature_flag.evaluation` event to the active span, when it records. */
export function recordFlagEvaluation(e: FlagEvaluation): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  const a: Attributes = {
    'feature_flag.key': e.key,
    'feature_flag.provider.name': e.provider,
    'feature_flag.result.variant': e.variant,
    'feature_flag.result.reason': e.reason.toLowerCase(),
    'feature_flag.context.id': e.contextId,
  };
  if (e.error !== undefined) {
    a['error.type'] = e.error.split(':', 1)[0] ?? 'error';
    a['error.message'] = e.error;
  }
  span.addEvent('feature_flag.evaluation', a);
}

const TRACE_REF = /^([0-9a-f]{32})-([0-9a-f]{16})$/;
const INVALID_TRACE = '0'.repeat(32);

/**
 * `<trace id>-<span id>` of the active span when it is sampled, to hand to a later step of the
 * same interaction (the feedback token carries it to the vote); undefined otherwise.
 */
export function activeTraceRef(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return undefined;
  const { traceId, spanId } = span.spanContext();
  return `${traceId}-${spanId}`;
}

function parseTraceRef(ref: string | undefined): SpanContext | undefined {
  const match = ref === undefined ? null : TRACE_REF.exec(ref);
  if (!match || match[1] === INVALID_TRACE) return undefined;
  return {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };
}

export interface EvaluationResult {
  /** `gen_ai.evaluation.name` */
  name: string;
  /** `gen_ai.evaluation.score.label` */
  label: string;
  /** `gen_ai.evaluation.score.value` */
  value: number;
  /** `gen_ai.evaluation.explanation` */
  explanation?: string;
  /** the span that served the interaction ({@link activeTraceRef} when it ran), if known */
  interactionTrace?: string;
  /** more attributes for the span (ids) */
  attributes?: Attributes;
}

/**
 * Records a `gen_ai.evaluation.result` event. With the interaction's trace known, the event sits
 * on a short span that is a child of the interaction's span (so the vote shows in the trace of
 * the answer it judges) and links back to the active span (the vote's own request); without it,
 * the event goes on the active span.
 */
export function recordEvaluationResult(e: EvaluationResult): void {
  const active = trace.getActiveSpan();
  const a: Attributes = {
    'gen_ai.evaluation.name': e.name,
    'gen_ai.evaluation.score.label': e.label,
    'gen_ai.evaluation.score.value': e.value,
  };
  if (e.explanation !== undefined && e.explanation !== '') a['gen_ai.evaluation.explanation'] = e.explanation;
  const parent = parseTraceRef(e.interactionTrace);
  if (!parent) {
    if (!active?.isRecording()) return;
    active.setAttributes(e.attributes ?? {});
    active.addEvent('gen_ai.evaluation.result', a);
    return;
  }
  const links: Link[] = active?.isRecording() ? [{ context: active.spanContext() }] : [];
  const span = trace
    .getTracer(TRACER)
    .startSpan(
      `evaluation ${e.name}`,
      { kind: SpanKind.INTERNAL, attributes: e.attributes, links },
      trace.setSpanContext(ROOT_CONTEXT, parent),
    );
  span.addEvent('gen_ai.evaluation.result', a);
  span.end();
}
