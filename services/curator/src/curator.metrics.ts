import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

function metric<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

/** Prometheus metrics of the curator (served at /metrics, next to the bus's consumer counters). */
export class CuratorMetrics {
  private readonly cases: Counter<'route' | 'action'>;
  private readonly votes: Counter<'route' | 'variant' | 'rating'>;
  private readonly parked: Counter<'route'>;
  private readonly joinLag: Histogram;
  private readonly redeliveries: Counter<'topic'>;
  private readonly erased: Counter<'topic'>;
  private readonly erasures: Counter;

  constructor(registry: Registry, parkedNow: () => Promise<number>) {
    this.cases = metric(
      registry,
      'flywheel_curator_cases_total',
      () =>
        new Counter({
          name: 'flywheel_curator_cases_total',
          help: 'Eval case changes by route and action: created, merged (a near-duplicate dislike), accepted, rejected, withdrawn',
          labelNames: ['route', 'action'],
          registers: [registry],
        }),
    );
    this.votes = metric(
      registry,
      'flywheel_curator_votes_total',
      () =>
        new Counter({
          name: 'flywheel_curator_votes_total',
          help: 'Votes stored (each new revision), by route, variant and rating',
          labelNames: ['route', 'variant', 'rating'],
          registers: [registry],
        }),
    );
    this.parked = metric(
      registry,
      'flywheel_curator_votes_parked_total',
      () =>
        new Counter({
          name: 'flywheel_curator_votes_parked_total',
          help: 'Votes parked because their interaction did not arrive within curator.join_ttl_s',
          labelNames: ['route'],
          registers: [registry],
        }),
    );
    metric(
      registry,
      'flywheel_curator_parked_votes',
      () =>
        new Gauge({
          name: 'flywheel_curator_parked_votes',
          help: 'Votes parked now (waiting for an interaction past the join TTL)',
          registers: [registry],
          async collect() {
            try {
              this.set(await parkedNow());
            } catch {
              // a database outage must not break the whole scrape: keep the last value
            }
          },
        }),
    );
    this.joinLag = metric(
      registry,
      'flywheel_curator_join_lag_seconds',
      () =>
        new Histogram({
          name: 'flywheel_curator_join_lag_seconds',
          help: 'From the vote being cast to the curator joining it with its interaction',
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
          registers: [registry],
        }),
    );
    this.redeliveries = metric(
      registry,
      'flywheel_curator_redeliveries_total',
      () =>
        new Counter({
          name: 'flywheel_curator_redeliveries_total',
          help: 'Events whose effect was already stored (redelivered after a crash or rebalance): nothing changed',
          labelNames: ['topic'],
          registers: [registry],
        }),
    );
    this.erased = metric(
      registry,
      'flywheel_curator_erased_events_dropped_total',
      () =>
        new Counter({
          name: 'flywheel_curator_erased_events_dropped_total',
          help: 'Interaction and feedback events of an erased subject, dropped unstored (late or replayed)',
          labelNames: ['topic'],
          registers: [registry],
        }),
    );
    this.erasures = metric(
      registry,
      'flywheel_curator_subject_erasures_total',
      () =>
        new Counter({
          name: 'flywheel_curator_subject_erasures_total',
          help: 'Subject erase requests carried out (POST /v1/subjects/…/erase), repeats included',
          registers: [registry],
        }),
    );
  }

  caseChanged(route: string, action: string): void {
    this.cases.inc({ route, action });
  }

  voted(route: string | null, variant: string, rating: string): void {
    this.votes.inc({ route: route ?? '', variant, rating });
  }

  votesParked(route: string | null, n = 1): void {
    this.parked.inc({ route: route ?? '' }, n);
  }

  joined(lagMs: number): void {
    this.joinLag.observe(Math.max(0, lagMs) / 1000);
  }

  redelivered(topic: string): void {
    this.redeliveries.inc({ topic });
  }

  erasedDropped(topic: string): void {
    this.erased.inc({ topic });
  }

  subjectErased(): void {
    this.erasures.inc();
  }
}
