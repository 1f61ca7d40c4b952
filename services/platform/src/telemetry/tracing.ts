export interface Tracing {
  enabled: boolean;
  /** exports what is buffered and stops; a no-op when tracing is off */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry tracing with OTLP/HTTP export, on only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the exporter reads the other standard
 * `OTEL_EXPORTER_OTLP_*` variables itself. Incoming HTTP and outgoing HTTP and fetch (undici) are
 * instrumented (W3C `traceparent` in and out), so provider calls are child spans of the request
 * that made them.
 *
 * Call this before the HTTP server and clients are loaded: the entry points import the
 * services after it. The OpenTelemetry SDK (~250 modules) loads only when tracing is on.
 */
export async function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    return { enabled: false, shutdown: async () => undefined };
  }
  const { startTracingSdk } = await import('./tracing-sdk.js');
  return startTracingSdk(service, env);
}
