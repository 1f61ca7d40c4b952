import { type CounterCells, counterCells } from '@flywheel/platform';
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
  // pre-bound (CounterCells): counted on every request
  private readonly requests: CounterCells<'key'>;
  private readonly refusals: Counter<'key' | 'reason'>;
  private readonly tokens: CounterCells<'key' | 'kind'>;

  constructor(registry: Registry) {
    this.requests = counterCells(registry, {
      name: 'flywheel_gateway_key_requests_total',
      help: 'Requests admitted per API key name',
      labelNames: ['key'],
    });
    this.refusals = counter(
      registry,
      'flywheel_gateway_key_refusals_total',
      'Requests refused per API key name and reason (route_not_allowed, model_not_allowed, system_not_allowed, max_tokens_exceeded, requests_per_min, tokens_per_min, concurrent)',
      ['key', 'reason'],
    );
    this.tokens = counterCells(registry, {
      name: 'flywheel_gateway_key_tokens_total',
      help: 'Tokens used per API key name, by kind (input, output)',
      labelNames: ['key', 'kind'],
    });
  }

  admitted(key: string): void {
    this.requests.at(key).inc();
  }

  refused(key: string, reason: KeyRefusal): void {
    this.refusals.inc({ key, reason });
  }

  used(key: string, input: number, output: number): void {
    if (input > 0) this.tokens.at(key, 'input').inc(input);
    if (output > 0) this.tokens.at(key, 'output').inc(output);
  }
}
