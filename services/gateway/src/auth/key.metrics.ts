import { Counter, type Registry } from 'prom-client';
import type { KeyRefusal } from './key-scope';

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}

/**
 * Usage per API key, labelled with the key's name (from flywheel.yaml `api_keys`, or
 * `env:FLYWHEEL_API_KEYS` / `env:GATEWAY_ADMIN_TOKEN`), never its secret.
 */
export class KeyMetrics {
  private readonly requests: Counter<'key'>;
  private readonly refusals: Counter<'key' | 'reason'>;
  private readonly tokens: Counter<'key' | 'kind'>;

  constructor(registry: Registry) {
    this.requests = counter(
      registry,
      'flywheel_gateway_key_requests_total',
      'Requests admitted per API key name',
      ['key'],
    );
    this.refusals = counter(
      registry,
      'flywheel_gateway_key_refusals_total',
      'Requests refused per API key name and reason (route_not_allowed, model_not_allowed, system_not_allowed, max_tokens_exceeded, requests_per_min, tokens_per_min, concurrent)',
      ['key', 'reason'],
    );
    this.tokens = counter(
      registry,
      'flywheel_gateway_key_tokens_total',
      'Tokens used per API key name, by kind (input, output)',
      ['key', 'kind'],
    );
  }

  admitted(key: string): void {
    this.requests.inc({ key });
  }

  refused(key: string, reason: KeyRefusal): void {
    this.refusals.inc({ key, reason });
  }

  used(key: string, input: number, output: number): void {
    if (input > 0) this.tokens.inc({ key, kind: 'input' }, input);
    if (output > 0) this.tokens.inc({ key, kind: 'output' }, output);
  }
}
