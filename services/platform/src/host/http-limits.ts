import { z } from 'zod';

/**
 * The HTTP server's limits and its overload shedding, per service (env `<SERVICE>_…`, see the
 * README "Overload and timeouts"). A limit of 0 turns that limit off.
 */
export interface HttpLimits {
  /** requests in flight (ops endpoints not counted) above which a new one is shed with 503 */
  maxInFlight: number;
  /** event-loop delay p99 (ms) that, held over `saturationWindowMs`, sheds new requests */
  maxEventLoopDelayMs: number;
  /** event-loop utilization (0–1) that, held over `saturationWindowMs`, sheds new requests */
  maxEventLoopUtilization: number;
  /** how long the loop must stay saturated before shedding starts (one busy moment is not overload) */
  saturationWindowMs: number;
  /**
   * the loop guard sheds only with at least this many requests in flight: with fewer, a busy loop
   * is not request load (a GC, a background job, a CPU-starved host) and refusing them frees nothing
   */
  loopGuardMinInFlight: number;
  /** time to receive a whole request, headers and body (slow-body clients get 408 and are cut) */
  requestTimeoutMs: number;
  /** socket inactivity, no byte either way, after which the connection is cut */
  connectionTimeoutMs: number;
  /** how long an idle keep-alive connection is kept open */
  keepAliveTimeoutMs: number;
  /** total size of a request's headers; larger gets 431 */
  maxHeaderBytes: number;
  /** number of request headers; more gets 431 */
  maxHeaders: number;
}

/**
 * Defaults, the same for every service unless its env.ts says otherwise:
 * - 256 requests in flight: each may hold a body of up to the body limit (1 MiB) plus its
 *   parsed form, so a full house stays in the hundreds of MiB; the gateway, whose requests mostly
 *   wait on an upstream, raises it (see its env.ts).
 * - loop delay p99 1 s, held for 2 s, with at least 16 requests in flight: a process this late
 *   only queues. Utilization is off (0) by default: a loop that is never idle but answers on time
 *   (a client at full speed in a closed loop keeps it at 1 with millisecond delays) is busy, not
 *   overloaded, and shedding there cost throughput in our own 32-client split test; 2 s keeps a single slow moment (a GC, a module loaded on first
 *   use) from shedding anything, and the in-flight floor keeps a loop busy with something else
 *   (or a host short of CPU, where utilization reads high at any load) from refusing the odd request.
 * - 30 s to receive a request: a 1 MiB body at 50 KiB/s; a client slower than that holds a
 *   connection for nothing.
 * - 5 min of silence on a connection: above the default model timeout (30 s) times the attempts of
 *   a chain, so a long non-streaming call is not cut while its client waits.
 * - 72 s keep-alive: Fastify's own default, above the 60 s idle timeout of common load balancers,
 *   so the balancer, not the service, closes an idle connection (no race on reuse).
 * - 16 KiB of headers (Node's default), 100 headers (Node allows 2,000).
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxInFlight: 256,
  maxEventLoopDelayMs: 1_000,
  maxEventLoopUtilization: 0,
  saturationWindowMs: 2_000,
  loopGuardMinInFlight: 16,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 300_000,
  keepAliveTimeoutMs: 72_000,
  maxHeaderBytes: 16_384,
  maxHeaders: 100,
};

const ms = z.coerce.number().int().min(0).max(3_600_000);
const VARS = {
  MAX_IN_FLIGHT: ['maxInFlight', z.coerce.number().int().min(0).max(1_000_000)],
  MAX_EVENT_LOOP_DELAY_MS: ['maxEventLoopDelayMs', ms],
  MAX_EVENT_LOOP_UTILIZATION: ['maxEventLoopUtilization', z.coerce.number().min(0).max(1)],
  SATURATION_WINDOW_MS: ['saturationWindowMs', z.coerce.number().int().min(500).max(60_000)],
  LOOP_GUARD_MIN_IN_FLIGHT: ['loopGuardMinInFlight', z.coerce.number().int().min(0).max(1_000_000)],
  REQUEST_TIMEOUT_MS: ['requestTimeoutMs', ms],
  CONNECTION_TIMEOUT_MS: ['connectionTimeoutMs', ms],
  KEEP_ALIVE_TIMEOUT_MS: ['keepAliveTimeoutMs', z.coerce.number().int().min(1).max(3_600_000)],
  MAX_HEADER_BYTES: ['maxHeaderBytes', z.coerce.number().int().min(1_024).max(1_048_576)],
  MAX_HEADERS: ['maxHeaders', z.coerce.number().int().min(10).max(2_000)],
} as const satisfies Record<string, readonly [keyof HttpLimits, z.ZodType<number, unknown>]>;

type Suffix = keyof typeof VARS;
type LimitsShape<P extends string> = {
  [S in Suffix as `${P}_${S}`]: z.ZodDefault<(typeof VARS)[S][1]>;
};

/**
 * The env variables of a service's HTTP limits, `<prefix>_MAX_IN_FLIGHT` and so on, to spread
 * into its env schema; `defaults` overrides {@link DEFAULT_HTTP_LIMITS} for this service.
 */
export function httpLimitsEnv<P extends string>(
  prefix: P,
  defaults: Partial<HttpLimits> = {},
): LimitsShape<P> {
  const all = { ...DEFAULT_HTTP_LIMITS, ...defaults };
  return Object.fromEntries(
    Object.entries(VARS).map(([suffix, [key, schema]]) => [`${prefix}_${suffix}`, schema.default(all[key])]),
  ) as LimitsShape<P>;
}

/** The parsed `<prefix>_…` variables as {@link HttpLimits}. */
export function httpLimitsFrom<P extends string>(
  prefix: P,
  env: { [S in Suffix as `${P}_${S}`]: number },
): HttpLimits {
  const values = env as Record<string, number>;
  return Object.fromEntries(
    Object.entries(VARS).map(([suffix, [key]]) => [key, values[`${prefix}_${suffix}`]]),
  ) as unknown as HttpLimits;
}
