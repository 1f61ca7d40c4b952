import { trace } from '@opentelemetry/api';

/** The trace id of the span active in this async context, when tracing is on. */
export function activeTraceId(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context && trace.isSpanContextValid(context) ? context.traceId : undefined;
}
