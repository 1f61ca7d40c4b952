import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DomainError } from '../http/domain-error';
import { type ErrorDialect, sendMapped } from '../http/http-error.filter';
import type { HttpLimits } from './http-limits';
import { LoopSampler, LoopSaturation, type SaturationReason } from './loop-saturation';

/** Answered whatever the load: probes and scrapes must see an overloaded service as it is. */
const OPS_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

export type ShedReason = 'in_flight' | SaturationReason;

/** Seconds a shed client is told to wait: in-flight frees up fast, a saturated loop needs a window. */
const RETRY_AFTER_S: Record<ShedReason, number> = {
  in_flight: 1,
  event_loop_delay: 2,
  event_loop_utilization: 2,
};

/** The in-flight count of each service of a registry, by service name. */
const inFlightReaders = new WeakMap<Registry, Map<string, () => number>>();

/**
 * `flywheel_http_in_flight`, read when the registry is scraped: the count each guard keeps, not
 * a gauge update (a label-set hash in prom-client) on every request's start and end.
 */
function inFlightGauge(registry: Registry): Map<string, () => number> {
  let readers = inFlightReaders.get(registry);
  if (readers !== undefined) return readers;
  const services = new Map<string, () => number>();
  readers = services;
  inFlightReaders.set(registry, services);
  new Gauge({
    name: 'flywheel_http_in_flight',
    help: 'Requests being handled (ops endpoints excluded), by service',
    labelNames: ['service'],
    registers: [registry],
    collect() {
      for (const [service, read] of services) this.set({ service }, read());
    },
  });
  return readers;
}

/**
 * Sheds overload instead of queueing it, in an `onRequest` hook (before auth and before the body
 * is read, so a shed request costs next to nothing): a request over the in-flight cap, or while
 * the event loop has been saturated for the whole saturation window while at least
 * `loopGuardMinInFlight` requests are in flight, gets 503 `overloaded` with
 * `Retry-After` at once. A request with more headers than allowed gets 431. Ops routes
 * (/healthz, /readyz, /metrics) are neither counted nor shed. The loop guard is armed by
 * {@link OverloadGuard.arm} once the service listens, and disarmed when it closes.
 */
export class OverloadGuard {
  private inFlight = 0;
  private readonly saturation: LoopSaturation;
  private readonly sampler: LoopSampler | null;
  private readonly shed: Counter<'service' | 'reason'>;

  constructor(
    private readonly limits: HttpLimits,
    private readonly service: string,
    registry: Registry,
  ) {
    this.saturation = new LoopSaturation(limits);
    const loopGuarded = limits.maxEventLoopDelayMs > 0 || limits.maxEventLoopUtilization > 0;
    this.sampler = loopGuarded ? new LoopSampler(this.saturation) : null;
    this.shed =
      (registry.getSingleMetric('flywheel_http_shed_total') as Counter<'service' | 'reason'> | undefined) ??
      new Counter({
        name: 'flywheel_http_shed_total',
        help: 'Requests answered 503 overloaded without being handled, by service and reason (in_flight, event_loop_delay, event_loop_utilization)',
        labelNames: ['service', 'reason'],
        registers: [registry],
      });
    inFlightGauge(registry).set(service, () => this.inFlight);
    for (const reason of Object.keys(RETRY_AFTER_S)) this.shed.inc({ service, reason }, 0);
  }

  install(
    fastify: FastifyInstance,
    errorStatus: Readonly<Record<string, number>>,
    dialects: readonly ErrorDialect[] = [],
  ): void {
    const { maxInFlight, maxHeaders, loopGuardMinInFlight } = this.limits;
    fastify.addHook('onRequest', (request, reply, done) => {
      if (OPS_ROUTES.has(request.routeOptions.url ?? '')) return done();
      if (request.raw.rawHeaders.length / 2 > maxHeaders) {
        const err = new DomainError('headers_too_large', `more than ${maxHeaders} request headers`);
        return sendMapped(reply, err, errorStatus, () => undefined, dialects);
      }
      const reason: ShedReason | null =
        maxInFlight > 0 && this.inFlight >= maxInFlight
          ? 'in_flight'
          : this.inFlight >= loopGuardMinInFlight
            ? this.saturation.saturated
            : null;
      if (reason !== null) {
        this.shed.inc({ service: this.service, reason });
        const retryAfter = String(RETRY_AFTER_S[reason]);
        const err = new DomainError('overloaded', 'the service is overloaded; retry later', undefined, {
          'retry-after': retryAfter,
        });
        return sendMapped(reply, err, errorStatus, () => undefined, dialects);
      }
      this.inFlight++;
      reply.raw.once('close', this.released);
      done();
    });
  }

  /** one listener for every request (no closure per request) */
  private readonly released = (): void => {
    this.inFlight--;
  };

  /** Starts watching the event loop (after boot: the boot's own work is never counted). */
  arm(): void {
    this.sampler?.start();
  }

  disarm(): void {
    this.sampler?.stop();
  }
}
