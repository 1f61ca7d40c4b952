import type { Attempt, ValidationResult } from '@flywheel/contracts';
import { type CounterCells, counterCells } from '@flywheel/platform';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState } from '../resilience/circuit-breakers';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2 };

/** The route label of a direct model call (no route). */
export const DIRECT_ROUTE_LABEL = '(direct)';

function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * The gateway's Prometheus metrics, on the app's registry. Label values are bounded by the
 * configuration (routes, variants, models, providers) and by fixed sets (outcomes, reasons).
 */
export class GatewayMetrics {
  // pre-bound (CounterCells): counted on every request
  private readonly attemptsTotal: CounterCells<'provider' | 'model' | 'outcome'>;
  private readonly fallbacksTotal: Counter<'route'>;
  private readonly repairsTotal: Counter<'route' | 'kind'>;
  private readonly assignmentsTotal: CounterCells<'route' | 'variant' | 'reason'>;
  private readonly duration: Histogram<'route' | 'stream'>;
  private readonly publishFailures: Counter;
  private readonly truncatedEvents: Counter;

  constructor(
    registry: Registry,
    /** the breaker state of every configured model, read at scrape time */
    breakers: { state(model: string): BreakerState },
    models: readonly string[],
  ) {
    const registers = [registry];
    this.attemptsTotal = counterCells(registry, {
      name: 'flywheel_gateway_attempts_total',
      help: 'Upstream attempts by provider, model and outcome (ok, error, timeout, circuit_open, invalid_output, truncated)',
      labelNames: ['provider', 'model', 'outcome'],
    });
    this.fallbacksTotal = metric(
      registry,
      'flywheel_gateway_fallbacks_total',
      () =>
        new Counter({
          name: 'flywheel_gateway_fallbacks_total',
          help: 'Requests that moved past the first model of their chain',
          labelNames: ['route'],
          registers,
        }),
    );
    this.repairsTotal = metric(
      registry,
      'flywheel_gateway_repairs_total',
      () =>
        new Counter({
          name: 'flywheel_gateway_repairs_total',
          help: 'Structured-output fixes: answers repaired into valid JSON, and re-asks',
          labelNames: ['route', 'kind'],
          registers,
        }),
    );
    metric(
      registry,
      'flywheel_gateway_breaker_state',
      () =>
        new Gauge({
          name: 'flywheel_gateway_breaker_state',
          help: 'Circuit breaker per model: 0 closed, 1 open, 2 half-open',
          labelNames: ['model'],
          registers,
          collect() {
            for (const model of models) this.set({ model }, BREAKER_VALUE[breakers.state(model)]);
          },
        }),
    );
    this.assignmentsTotal = counterCells(registry, {
      name: 'flywheel_gateway_rollout_assignments_total',
      help: 'Variant assignments by route, variant and reason (flag reason, FORCED, ERROR)',
      labelNames: ['route', 'variant', 'reason'],
    });
    this.duration = metric(
      registry,
      'flywheel_gateway_request_duration_seconds',
      () =>
        new Histogram({
          name: 'flywheel_gateway_request_duration_seconds',
          help: 'Gateway requests from routing to the last byte of the answer, by route and stream',
          labelNames: ['route', 'stream'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
          registers,
        }),
    );
    this.publishFailures = metric(
      registry,
      'flywheel_gateway_event_publish_failures_total',
      () =>
        new Counter({
          name: 'flywheel_gateway_event_publish_failures_total',
          help: 'Interaction events the bus refused (spool full, invalid event, bus closed)',
          registers,
        }),
    );
    this.truncatedEvents = metric(
      registry,
      'flywheel_gateway_events_truncated_total',
      () =>
        new Counter({
          name: 'flywheel_gateway_events_truncated_total',
          help: 'Interaction events whose long strings were cut to fit GATEWAY_EVENT_MAX_BYTES',
          registers,
        }),
    );
  }

  /** Interaction events cut to fit GATEWAY_EVENT_MAX_BYTES. */
  eventTruncated(): void {
    this.truncatedEvents.inc();
  }

  assigned(route: string, variant: string, reason: string): void {
    this.assignmentsTotal.at(route, variant, reason).inc();
  }

  /** One finished request (answered or failed): its attempts, fallback, repairs and duration. */
  finished(
    route: string | null,
    stream: boolean,
    seconds: number,
    attempts: readonly Attempt[],
    validation: ValidationResult,
  ): void {
    const routeLabel = route ?? DIRECT_ROUTE_LABEL;
    let repaired = 0;
    let fellBack = false;
    const first = attempts[0]?.model;
    for (const a of attempts) {
      this.attemptsTotal.at(a.provider, a.model, a.status).inc();
      if (a.repaired === true) repaired++;
      if (a.model !== first) fellBack = true;
    }
    if (fellBack) this.fallbacksTotal.inc({ route: routeLabel });
    if (repaired > 0) this.repairsTotal.inc({ route: routeLabel, kind: 'repaired' }, repaired);
    if (validation.reasks > 0) this.repairsTotal.inc({ route: routeLabel, kind: 'reask' }, validation.reasks);
    this.duration.observe({ route: routeLabel, stream: stream ? 'true' : 'false' }, seconds);
  }

  publishFailed(): void {
    this.publishFailures.inc();
  }
}
