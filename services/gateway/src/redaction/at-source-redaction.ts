import type { InteractionEvent } from '@flywheel/contracts';
import { type FlywheelConfig, redactionMetrics, Redactor } from '@flywheel/platform';
import type { Registry } from 'prom-client';

/**
 * Routes with `redaction: at_source` have their interaction events redacted here, before they
 * are serialized into the spool and Kafka, with the curator's redaction settings (extra
 * patterns, size cap). Other events pass unchanged; the curator redacts them.
 */
export function atSourceRedaction(
  config: FlywheelConfig,
  registry: Registry,
): ((event: InteractionEvent) => InteractionEvent) | undefined {
  const routes = new Set(
    Object.entries(config.routes)
      .filter(([, route]) => route.redaction === 'at_source')
      .map(([name]) => name),
  );
  if (routes.size === 0) return undefined;
  const { extra_patterns, max_field_chars } = config.curator.redaction;
  // Always on for these routes: the route asked for it, whatever the curator's `enabled`.
  const redactor = new Redactor({
    enabled: true,
    extraPatterns: extra_patterns,
    maxFieldChars: max_field_chars,
    ...redactionMetrics(registry),
  });
  return (event) => {
    if (event.route === null || !routes.has(event.route)) return event;
    const { messages, input } = event.request;
    return {
      ...event,
      request: {
        ...event.request,
        messages: redactor.redactValue(messages),
        ...(input === undefined ? {} : { input: redactor.redactValue(input) }),
      },
      output: event.output === null ? null : redactor.redact(event.output),
      ...(event.output_json === undefined ? {} : { output_json: redactor.redactValue(event.output_json) }),
      redaction: 'at_source',
    };
  };
}
