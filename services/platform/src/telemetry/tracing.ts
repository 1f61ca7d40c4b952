import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface Tracing {
  enabled: boolean;
  /** exports what is buffered and stops; a no-op when tracing is off */
  shutdown(): Promise<void>;
}

/** Paths that would only add noise to traces. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * OpenTelemetry tracing with OTLP/HTTP export, on only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the exporter reads the other standard
 * `OTEL_EXPORTER_OTLP_*` variables itself. Incoming HTTP and outgoing HTTP and fetch (undici) are
 * instrumented (W3C `traceparent` in and out), so provider calls are child spans of the request
 * that made them.
 *
 * Call this before the HTTP server and clients are loaded: the entry points import the
 * services after it.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    return { enabled: false, shutdown: async () => undefined };
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED.has((req.url ?? '').split('?')[0] ?? ''),
      }),
      // the provider SDKs (openai, @anthropic-ai/sdk) call through Node's fetch, i.e. undici
      new UndiciInstrumentation(),
    ],
  });
  return {
    enabled: true,
    shutdown: async () => {
      unregister();
      await provider.shutdown();
    },
  };
}
