import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Tracing } from './tracing';

/** Paths that would only add noise to traces. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/** The OpenTelemetry SDK part of startTracing (tracing.ts), loaded only when tracing is on. */
export function startTracingSdk(service: string, env: NodeJS.ProcessEnv): Tracing {
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
