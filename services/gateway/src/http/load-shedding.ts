import underPressure from '@fastify/under-pressure';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Counter } from 'prom-client';

/** Probes and scrapes answer even under pressure: an overloaded pod must not look dead. */
const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/docs']);

/**
 * Load shedding with @fastify/under-pressure: while the event loop is late by more than
 * `maxEventLoopDelayMs` (its mean delay over the last 100 ms sample), new requests get a fast
 * `503 overloaded` with
 * `Retry-After: 1` instead of queueing until their clients time out. 0 turns it off.
 */
export async function registerLoadShedding(
  app: NestFastifyApplication,
  maxEventLoopDelayMs: number,
  shed: Counter<'reason'>,
): Promise<void> {
  if (maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure as never, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    sampleInterval: 100,
    pressureHandler: (
      request: { url: string },
      reply: { status(code: number): { header(name: string, value: string): unknown } },
      type: string,
      value: number | undefined,
    ) => {
      if (OPS_PATHS.has(request.url.split('?', 1)[0] ?? '')) return undefined;
      shed.inc({ reason: type });
      reply.status(503).header('retry-after', '1');
      return {
        error: {
          type: 'overloaded',
          message: `the gateway is overloaded (event loop ${Math.round(value ?? 0)} ms late); retry after 1 s`,
        },
      };
    },
  });
}
