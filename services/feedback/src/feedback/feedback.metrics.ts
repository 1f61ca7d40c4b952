import { Counter, type Registry } from 'prom-client';

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  return (
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}

/** Prometheus counters of the feedback service (served at /metrics). */
export class FeedbackMetrics {
  private readonly votes: Counter<string>;
  private readonly duplicates: Counter<string>;
  private readonly rejects: Counter<string>;

  constructor(registry: Registry) {
    this.votes = counter(
      registry,
      'flywheel_feedback_votes_total',
      'Votes accepted and published (each new revision), by route, variant and rating',
      ['route', 'variant', 'rating'],
    );
    this.duplicates = counter(
      registry,
      'flywheel_feedback_duplicates_total',
      'Identical retries answered with the recorded vote, without a new event',
      [],
    );
    this.rejects = counter(
      registry,
      'flywheel_feedback_rejects_total',
      'Refused votes by reason (the error type)',
      ['reason'],
    );
  }

  voted(route: string | null, variant: string, rating: string): void {
    this.votes.inc({ route: route ?? '', variant, rating });
  }

  duplicate(): void {
    this.duplicates.inc();
  }

  rejected(reason: string): void {
    this.rejects.inc({ reason });
  }
}
