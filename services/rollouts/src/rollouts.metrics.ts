import { Counter, Gauge, type Registry } from 'prom-client';

function metric<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

const RATE_METRICS = ['dislike_rate', 'error_rate', 'latency_p95_ms', 'cost_per_interaction'] as const;
type RateMetric = (typeof RATE_METRICS)[number];

/** Prometheus metrics of the rollout controller (served at /metrics). */
export class RolloutMetrics {
  private readonly percentGauge: Gauge<'route'>;
  private readonly decisions: Counter<'route' | 'kind'>;
  private readonly rateGauge: Gauge<'route' | 'variant' | 'metric'>;

  constructor(registry: Registry) {
    this.percentGauge = metric(
      registry,
      'flywheel_rollout_percent',
      () =>
        new Gauge({
          name: 'flywheel_rollout_percent',
          help: "The candidate's current share (0–100) of each planned route",
          labelNames: ['route'],
          registers: [registry],
        }),
    );
    this.decisions = metric(
      registry,
      'flywheel_rollout_decisions_total',
      () =>
        new Counter({
          name: 'flywheel_rollout_decisions_total',
          help: 'Rollout decisions by route and kind (start, advance, hold, halt, complete, pause, resume, rollback)',
          labelNames: ['route', 'kind'],
          registers: [registry],
        }),
    );
    this.rateGauge = metric(
      registry,
      'flywheel_rollout_variant_rate',
      () =>
        new Gauge({
          name: 'flywheel_rollout_variant_rate',
          help: 'Per-variant rates the controller decides on (dislike_rate, error_rate, latency_p95_ms, cost_per_interaction), as of the last state read',
          labelNames: ['route', 'variant', 'metric'],
          registers: [registry],
        }),
    );
  }

  percent(route: string, value: number): void {
    this.percentGauge.set({ route }, value);
  }

  decision(route: string, kind: string): void {
    this.decisions.inc({ route, kind });
  }

  rates(route: string, variant: string, stats: Record<RateMetric, number | null>): void {
    for (const metric of RATE_METRICS) {
      const v = stats[metric];
      if (typeof v === 'number' && Number.isFinite(v)) this.rateGauge.set({ route, variant, metric }, v);
    }
  }
}
