/**
 * Gateway overhead benchmark: what the gateway adds on top of its upstream, next to the floor for
 * any Node proxy.
 *   npm run bench:gateway        (starts a private Kafka 3.9.1, or uses KAFKA_BROKERS if set)
 *
 * Processes besides this one (the load generator): the upstream simulator (services/upstream-sim,
 * fixed latency BENCH_SIM_LATENCY_MS, default 20 ms); the floor, a bare pass-through proxy written
 * with undici (bench/lib/bare-proxy.ts: node:http in, undici Pool out, nothing else); one gateway
 * per bus in BENCH_GATEWAY_BUS (default `embedded,kafka`), each `flywheel start --only gateway`
 * with bench/fixtures/gateway-bench.yaml (route `bench` → one model on the simulator), the
 * `kafka` one with its interaction events through its spool to a Kafka broker.
 *
 * Legs (targets): "direct" (straight to the simulator, model sim-ok-slow-0: sim-ok's behaviour,
 * counted apart), "floor" (the same request through the bare proxy), "gateway-embedded" and
 * "gateway-kafka" (`route:bench` through each gateway, which calls sim-ok). For each rate in
 * BENCH_GATEWAY_RATES (default 500,1000 req/s) one open-loop schedule runs at that rate for
 * BENCH_GATEWAY_SECONDS (default 20) per leg, the legs taking turns in 1 s slices (D F E K D F …):
 * each target sees the stated rate and has the machine to itself during its slices, and all of
 * them see the same machine over the stage. Latency is measured from each request's scheduled send
 * time to the end of its response body (no coordinated omission). Added latency = leg percentile −
 * direct percentile; every gateway figure is also given as a ratio to the floor's (× floor).
 * Then a streaming stage at BENCH_GATEWAY_STREAM_RATE (default 1000 req/s): `stream: true`, the
 * simulator dripping one event every BENCH_GATEWAY_DRIP_MS (default 10) ms; time to first token
 * (scheduled send → first chunk with content) and the gap between chunks, added vs direct and ×
 * floor.
 *
 * Reported per stage and leg: sent, 2xx, errors (non-2xx, network), timeouts
 * (BENCH_GATEWAY_TIMEOUT_MS, default 5000, counted from the scheduled time), p50/p90/p99/max,
 * added p50/p90/p99 and × floor, achieved rate; per process (floor and gateways): RSS (VmRSS every
 * second), CPU ms per request, and from `--trace-gc-nvp` (every proxy runs with it) V8 bytes
 * allocated and bytes that outlived a scavenge per request, scavenges per second and their pauses;
 * for the gateways also their event-loop delay and GC pauses from /metrics. Whole-machine CPU and
 * load average; interaction events that reached Kafka (high-watermark delta of
 * flywheel.interactions.v1) and the spool depth after the stage. The proxies run with the Node
 * flags of the Dockerfile's gateway target (GATEWAY_NODE_FLAGS; BENCH_GATEWAY_NODE_FLAGS overrides
 * them, e.g. `--max-semi-space-size=16`, to compare young-generation sizes).
 * Targets (issue #15): added p99 ≤ 2× the floor's at 500 and 1,000 req/s, added p50 ≤ 1 ms, gateway
 * CPU ≤ 0.5 ms/request at 1,000 req/s.
 *
 * BENCH_GATEWAY_PROFILE=1 adds a profiled stage at BENCH_GATEWAY_PROFILE_RATE (default 500)
 * after the measured ones: the CPU of the first gateway is sampled through its inspector for
 * exactly that stage and the top self-time areas/functions go into the results (its latencies are
 * not comparable: the profiler costs CPU). The raw .cpuprofile is left in the OS temp dir.
 * A warm-up (BENCH_GATEWAY_WARMUP_SECONDS, default 5 per leg, at 100 req/s) precedes the stages,
 * and every stage is preceded by an unmeasured run of the same shape at its own rate
 * (BENCH_GATEWAY_STAGE_WARMUP_SECONDS, default 5 per leg): the figures are steady-state ones, not
 * those of code V8 has not yet optimized for that rate (the first 1,000 req/s slices after the
 * 100 req/s warm-up added up to a second). Between stages the benchmark waits until the proxies
 * are idle again.
 * BENCH_GATEWAY_REFERENCES=work,durable adds reference legs between the floor and the gateways
 * (bench/lib/reference-proxy.ts, node:http + undici like the floor): `floor-work` does the least
 * per-request work of Flywheel's contract (key check, both bodies parsed, a signed feedback token,
 * one serialized event), `floor-durable` that and the event through Flywheel's spool and relay to
 * Kafka before answering (needs the kafka bus). They show what the contract itself costs a Node
 * process on this machine; they are reported like the gateways (× floor included), never judged.
 * BENCH_GATEWAY_DRY=1 runs only direct and floor (no gateway): checks the harness itself and shows
 * its noise floor; it prints the results but writes no file.
 * BENCH_GATEWAY_DURABLE_COST=1 measures what durable-before-answer costs: the baseline leg goes to
 * a second gateway on Kafka started with GATEWAY_EVENT_DURABLE_WAIT=false (answers without waiting
 * for its event's spool fsync; a switch for this measurement only), the other leg to the normal
 * one; "added" is then the cost of the wait. Writes bench/results/gateway-durable-wait.json.
 *
 * Prints a table and the JSON, writes bench/results/gateway.json. Every child process and the
 * broker are stopped on exit, SIGINT and SIGTERM included.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@flywheel/contracts';
import { build as esbuild } from 'esbuild';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Pool } from 'undici';
import { type KafkaBroker, startKafka } from '../infra/local';
import { freePorts } from '../infra/local/ports';
import { buildServices, DEFAULT_OUTFILE } from '../services/cli/scripts/build-services';
import { type BenchChild, startChild, waitForHttp } from './lib/child';
import { exitCleanups } from './lib/cleanup';
import { type Buckets, type ProfileSummary, summarizeCpuProfile } from './lib/cpuprofile';
import { type GcTrace, gcTraceReader } from './lib/gc-trace';
import { InspectorSession } from './lib/inspector';
import { runOpenLoop } from './lib/open-loop';
import {
  busiestBetween,
  busiestProcesses,
  busyShare,
  cpuMsOf,
  cpuSnapshot,
  loadAverage,
  machineTicks,
  type Memory,
  memoryOf,
} from './lib/procfs';
import { machineInfo, writeResults } from './lib/results';
import { type LatencySummary, pct, round, summarize } from './lib/stats';

const ROOT = join(__dirname, '..');
const RATES = (process.env.BENCH_GATEWAY_RATES ?? '500,1000')
  .split(',')
  .map((r) => Number(r.trim()))
  .filter((r) => r > 0);
const SECONDS = Number(process.env.BENCH_GATEWAY_SECONDS ?? 20);
const STREAM_RATE = Number(process.env.BENCH_GATEWAY_STREAM_RATE ?? 1000);
const DRIP_MS = Number(process.env.BENCH_GATEWAY_DRIP_MS ?? 10);
/** streams are short (~6 content events), so 1,000 streams/s stay within what the simulator can drip */
const STREAM_MAX_TOKENS = 8;
const SIM_LATENCY_MS = Number(process.env.BENCH_SIM_LATENCY_MS ?? 20);
const TIMEOUT_MS = Number(process.env.BENCH_GATEWAY_TIMEOUT_MS ?? 5_000);
const BOUND_MS = Number(process.env.BENCH_GATEWAY_BOUND_MS ?? 25);
const PROFILE = process.env.BENCH_GATEWAY_PROFILE === '1';
const PROFILE_RATE = Number(process.env.BENCH_GATEWAY_PROFILE_RATE ?? 500);
const DRY = process.env.BENCH_GATEWAY_DRY === '1';
/** BENCH_GATEWAY_DUMP=<path prefix>: every request's latency, per stage, to <prefix>-<rate>.json */
const DUMP = process.env.BENCH_GATEWAY_DUMP;
const DURABLE_COST = !DRY && process.env.BENCH_GATEWAY_DURABLE_COST === '1';
const BUSES: ('embedded' | 'kafka')[] = DURABLE_COST
  ? ['kafka']
  : DRY
    ? []
    : (process.env.BENCH_GATEWAY_BUS ?? 'embedded,kafka')
        .split(',')
        .map((b) => b.trim())
        .filter((b): b is 'embedded' | 'kafka' => b === 'embedded' || b === 'kafka');
/** The Node flags of the Dockerfile's gateway target (NODE_OPTIONS there). */
const GATEWAY_NODE_FLAGS = process.env.BENCH_GATEWAY_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [
  '--max-semi-space-size=8',
  '--max-old-space-size=256',
];
/**
 * BENCH_GATEWAY_VARIANTS=`name=node flags;name2=node flags`: one more embedded gateway leg per
 * variant (`gateway-<name>`), started with those node flags instead of GATEWAY_NODE_FLAGS: an A/B
 * of runtime settings under the same interleaved load.
 */
const VARIANTS = (process.env.BENCH_GATEWAY_VARIANTS ?? '')
  .split(';')
  .filter((v) => v.includes('='))
  .map((v) => {
    const eq = v.indexOf('=');
    return {
      name: v.slice(0, eq).trim(),
      flags: v
        .slice(eq + 1)
        .split(/\s+/)
        .filter(Boolean),
    };
  });
const WARMUP_SECONDS = Number(process.env.BENCH_GATEWAY_WARMUP_SECONDS ?? 5);
const STAGE_WARMUP_SECONDS = Number(process.env.BENCH_GATEWAY_STAGE_WARMUP_SECONDS ?? 5);
const CONNECTIONS = 256;
/** The goals from issue #15, relative to the floor measured in the same run. */
const TARGETS = {
  rates: [500, 1000],
  added_p99_x_floor: 2,
  added_p50_ms: 1,
  cpu_rate: 1000,
  cpu_ms_per_request: 0.5,
};

/**
 * every service runs the way its container does: `node services/cli/dist/flywheel.js start --only
 * <service>` (the compiled build, rebuilt at the start of each run); BENCH_GATEWAY_RUNNER=tsx runs
 * the TypeScript sources through tsx instead (what `npm start` does)
 */
const RUNNER: 'compiled' | 'tsx' = process.env.BENCH_GATEWAY_RUNNER === 'tsx' ? 'tsx' : 'compiled';
const CLI_MAIN = join(ROOT, 'services/cli/src/main.ts');
const BARE_PROXY = join(__dirname, 'lib/bare-proxy.ts');
const REFERENCE_PROXY = join(__dirname, 'lib/reference-proxy.ts');
/** BENCH_GATEWAY_REFERENCES=work,durable: the reference legs (see the header and bench/lib/reference-proxy.ts) */
const REFERENCES = DRY
  ? []
  : (process.env.BENCH_GATEWAY_REFERENCES ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter((r): r is 'work' | 'durable' => r === 'work' || r === 'durable');
const CONFIG_FIXTURE = join(__dirname, 'fixtures/gateway-bench.yaml');
const FLAGS_FIXTURE = join(__dirname, 'fixtures/gateway-bench-flags.json');
const GATEWAY_KEY = `bench-${randomBytes(12).toString('hex')}`;
const DIRECT_MODEL = 'sim-ok-timed-slow-0';
const MESSAGES = [{ role: 'user', content: 'Benchmark: say hello in one short sentence.' }];

/**
 * Coarse cost buckets for the profile, over the areas of `by_calling_area` (a Node internal or
 * native frame counts for the package or workspace code that called it).
 */
const COST_BUCKETS: Buckets = [
  [
    'upstream call: openai SDK on undici request() (services/gateway/src/providers/upstream-fetch.ts)',
    /^(openai|undici|services\/gateway\/providers|node:internal\/deps|node:internal\/webstreams|wasm:)/,
  ],
  [
    'HTTP server: Fastify + Nest + node:http',
    /^(fastify|@fastify\/|@nestjs\/|find-my-way|secure-json-parse|fast-json-stringify|avvio|node:_http)/,
  ],
  ['interaction events: spool + Kafka relay', /^(kafkajs|services\/platform\/bus)/],
  ['flags: OpenFeature + flagd', /^(@openfeature\/|services\/platform\/flags|json-logic)/],
  ['feedback token (HMAC)', /^services\/platform\/tokens/],
  ['zod validation', /^zod$/],
  ['metrics: prom-client', /^prom-client$/],
  ['gateway code', /^services\/gateway/],
  ['garbage collector', /^\(garbage collector\)$/],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ─── cleanup on every exit path ─────────────────────────────────────────────────────────────────
const { push: cleanupStep, cleanUp } = exitCleanups('the gateways, the floor proxy, the simulator and Kafka');

// ─── the legs ───────────────────────────────────────────────────────────────────────────────────
/** `reference`: a reference proxy (BENCH_GATEWAY_REFERENCES), reported like a gateway, never judged */
type LegKind = 'direct' | 'floor' | 'gateway' | 'reference';

interface Leg {
  name: string;
  kind: LegKind;
  pool: Pool;
  headers: Record<string, string>;
  body: (n: number, stream: boolean) => string;
  /** response header every 2xx must carry (the gateway's interaction id) */
  mustHave?: string;
  /** the proxy process behind this leg (floor, gateways) */
  proc?: BenchChild;
  /** its base URL, for /metrics (gateways) */
  url?: string;
  /** Kafka-backed gateway: its events are counted on the topic */
  kafka?: boolean;
  /** cursor on its --trace-gc-nvp output */
  gc?: { next(): GcTrace };
}

class LegStats {
  sent = 0;
  ok = 0;
  timeouts = 0;
  network = 0;
  missingHeader = 0;
  readonly byStatus: Record<string, number> = {};
  readonly errorSamples = new Set<string>();
  /** [scheduled time, latency ms] of every 2xx */
  readonly done: [number, number][] = [];
  /**
   * latency − the simulator's own time for the same request (`[sim-ms=…]` at the end of the
   * answer) of every non-streamed 2xx: what everything but the upstream took, request by request
   */
  readonly net: number[] = [];
  /** streams: scheduled send → first chunk carrying content, ms */
  readonly ttft: number[] = [];
  /** streams: gaps between consecutive body chunks after the first content, ms */
  readonly gaps: number[] = [];
  /** BENCH_GATEWAY_DUMP: [send number, latency ms, simulator ms, scheduled epoch ms] of every non-streamed 2xx */
  readonly rows: [number, number, number, number][] = [];

  get errors(): number {
    return this.sent - this.ok - this.timeouts;
  }
  sample(msg: string): void {
    if (this.errorSamples.size < 5) this.errorSamples.add(msg.slice(0, 200));
  }
}

/** the simulator's own time for the request, at the end of a `timed` model's answer text */
const SIM_MS = /\[sim-ms=(\d+(?:\.\d+)?)\]"/;

/** the first chunk whose `content` delta is non-empty (a role-only first chunk does not count) */
const HAS_CONTENT = /"(content|text)":"[^"]/;

async function send(
  leg: Leg,
  n: number,
  scheduledAt: number,
  stats: LegStats,
  stream: boolean,
): Promise<void> {
  stats.sent++;
  const signal = AbortSignal.timeout(Math.max(1, Math.ceil(TIMEOUT_MS - (performance.now() - scheduledAt))));
  try {
    const res = await leg.pool.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: leg.headers,
      body: leg.body(n, stream),
      signal,
    });
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    const text = ok ? '' : await res.body.text();
    if (ok && stream) {
      let first: number | undefined;
      let last = 0;
      for await (const chunk of res.body) {
        const now = performance.now();
        if (first === undefined) {
          if (HAS_CONTENT.test((chunk as Buffer).toString('utf8'))) first = last = now;
        } else {
          stats.gaps.push(now - last);
          last = now;
        }
      }
      if (first !== undefined) stats.ttft.push(first - scheduledAt);
    }
    const answer = ok && !stream ? await res.body.text() : '';
    const latency = performance.now() - scheduledAt;
    const simMs = SIM_MS.exec(answer)?.[1];
    if (simMs !== undefined) stats.net.push(latency - Number(simMs));
    if (DUMP && simMs !== undefined)
      stats.rows.push([n, round(latency), Number(simMs), round(performance.timeOrigin + scheduledAt)]);
    stats.byStatus[res.statusCode] = (stats.byStatus[res.statusCode] ?? 0) + 1;
    if (ok) {
      stats.ok++;
      stats.done.push([scheduledAt, latency]);
      if (leg.mustHave && res.headers[leg.mustHave] === undefined) stats.missingHeader++;
    } else {
      stats.sample(`HTTP ${res.statusCode}: ${text}`);
    }
  } catch (err) {
    if (signal.aborted) {
      stats.timeouts++;
    } else {
      stats.network++;
      stats.sample(`${(err as Error).name}: ${(err as Error).message}`);
    }
  }
}

function legReport(s: LegStats, seconds: number) {
  const latencies = summarize(s.done.map(([, l]) => l));
  // Backlog check: p50 of the first vs the last quarter of the stage, by scheduled time.
  const byTime = [...s.done].sort((a, b) => a[0] - b[0]);
  const q = Math.floor(byTime.length / 4);
  const p50Of = (part: [number, number][]) =>
    pct(
      part.map(([, l]) => l).sort((a, b) => a - b),
      50,
    );
  return {
    sent: s.sent,
    ok: s.ok,
    errors: s.errors,
    timeouts: s.timeouts,
    error_rate: s.sent ? round((s.errors + s.timeouts) / s.sent, 4) : NaN,
    by_status: s.byStatus,
    network_errors: s.network,
    ...(s.missingHeader ? { missing_interaction_id: s.missingHeader } : {}),
    ...(s.errorSamples.size ? { error_samples: [...s.errorSamples] } : {}),
    achieved_rate: round(s.ok / seconds, 1),
    latency: latencies,
    ...(s.net.length ? { net_latency: summarize(s.net) } : {}),
    ...(s.ttft.length ? { time_to_first_token: summarize(s.ttft), inter_chunk_gap: summarize(s.gaps) } : {}),
    p50_first_quarter_ms: round(p50Of(byTime.slice(0, q))),
    p50_last_quarter_ms: round(p50Of(byTime.slice(byTime.length - q))),
  };
}
type LegReport = ReturnType<typeof legReport>;

type Pcts = { p50_ms: number; p90_ms: number; p99_ms: number };
const minus = (a: LatencySummary, b: LatencySummary): Pcts => ({
  p50_ms: round(a.p50_ms - b.p50_ms),
  p90_ms: round(a.p90_ms - b.p90_ms),
  p99_ms: round(a.p99_ms - b.p99_ms),
});
/** a / b per percentile; null where the floor added nothing measurable (≤ 0.05 ms) */
const times = (a: Pcts, b: Pcts | undefined) => {
  const x = (p: keyof Pcts) => (b && b[p] > 0.05 ? round(a[p] / b[p]) : null);
  return { p50: x('p50_ms'), p90: x('p90_ms'), p99: x('p99_ms') };
};

// ─── gateway observations ───────────────────────────────────────────────────────────────────────
/** The gateway's /metrics samples whose names start with `prefix` (name{labels} → value). */
async function scrapeMetrics(
  gatewayUrl: string | undefined,
  prefix: string,
): Promise<Record<string, number>> {
  if (!gatewayUrl) return {};
  try {
    const res = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(3_000) });
    const text = await res.text();
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (!line.startsWith(prefix)) continue;
      const i = line.lastIndexOf(' ');
      out[line.slice(0, i)] = Number(line.slice(i + 1));
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * What stalled the gateway's event loop during a stage: prom-client's event-loop delay
 * histogram (reset at every scrape, so the scrape before the stage starts it afresh) and the
 * V8 pauses by kind (the difference of nodejs_gc_duration_seconds between the two scrapes).
 */
async function loopAndGc(gatewayUrl: string | undefined) {
  const [lag, gc] = await Promise.all([
    scrapeMetrics(gatewayUrl, 'nodejs_eventloop_lag_'),
    scrapeMetrics(gatewayUrl, 'nodejs_gc_duration_seconds_'),
  ]);
  return { lag, gc };
}

function stallReport(
  before: Awaited<ReturnType<typeof loopAndGc>>,
  after: Awaited<ReturnType<typeof loopAndGc>>,
) {
  const ms = (name: string) => {
    const v = after.lag[name];
    return v === undefined ? null : round(v * 1000);
  };
  const gc: Record<string, { pauses: number; total_ms: number; mean_ms: number }> = {};
  for (const kind of ['minor', 'major', 'incremental', 'weakcb']) {
    const key = (stat: string) => `nodejs_gc_duration_seconds_${stat}{kind="${kind}"}`;
    const count = (after.gc[key('count')] ?? 0) - (before.gc[key('count')] ?? 0);
    const sum = (after.gc[key('sum')] ?? 0) - (before.gc[key('sum')] ?? 0);
    if (count > 0)
      gc[kind] = { pauses: count, total_ms: round(sum * 1000), mean_ms: round((sum * 1000) / count, 3) };
  }
  return {
    event_loop_delay_ms: {
      p50: ms('nodejs_eventloop_lag_p50_seconds'),
      p90: ms('nodejs_eventloop_lag_p90_seconds'),
      p99: ms('nodejs_eventloop_lag_p99_seconds'),
      max: ms('nodejs_eventloop_lag_max_seconds'),
    },
    gc,
  };
}

function stallLine(st: ReturnType<typeof stallReport>): string {
  const d = st.event_loop_delay_ms;
  const gc = Object.entries(st.gc)
    .map(([kind, g]) => `${kind} ${g.pauses}× mean ${g.mean_ms} ms (${g.total_ms} ms)`)
    .join(', ');
  return `  gateway event-loop delay p50 ${d.p50 ?? '-'} / p90 ${d.p90 ?? '-'} / p99 ${d.p99 ?? '-'} / max ${d.max ?? '-'} ms; GC: ${gc || '-'}`;
}

const spoolDepth = (m: Record<string, number>) =>
  Object.entries(m)
    .filter(([k]) => k === 'flywheel_bus_spool_depth' || k.startsWith('flywheel_bus_spool_depth{'))
    .reduce<number | undefined>((s, [, v]) => (s ?? 0) + v, undefined);

/**
 * /readyz after boot, recorded but not waited for: the benchmark only needs the chat endpoint,
 * which the warm-up checks (a 5xx here is reported, not fatal).
 */
async function probeReadyz(gatewayUrl: string): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`${gatewayUrl}/readyz`, { signal: AbortSignal.timeout(3_000) });
      const body = (await res.text()).slice(0, 300);
      if (res.status === 200 || Date.now() > deadline) return { status: res.status, body };
    } catch (err) {
      if (Date.now() > deadline) return { status: 0, body: (err as Error).message };
    }
    await sleep(500);
  }
}

async function kafkaEvents(admin: Admin): Promise<number> {
  try {
    const offsets = await admin.fetchTopicOffsets(Topics.interactions);
    return offsets.reduce((s, o) => s + Number(o.high), 0);
  } catch {
    return 0; // the topic does not exist yet
  }
}

/** Waits until `expected` new interaction events are on Kafka (or the spool is empty, or 30 s). */
async function drain(admin: Admin, gatewayUrl: string | undefined, base: number, expected: number) {
  const t0 = Date.now();
  let inKafka = 0;
  let depth: number | undefined;
  for (;;) {
    inKafka = (await kafkaEvents(admin)) - base;
    depth = spoolDepth(await scrapeMetrics(gatewayUrl, 'flywheel_bus_'));
    if (inKafka >= expected || Date.now() - t0 > 30_000 || (depth === 0 && Date.now() - t0 > 2_000)) break;
    await sleep(250);
  }
  return { kafka_events: inKafka, spool_depth_after: depth ?? null, drain_ms: Date.now() - t0 };
}

/** Between stages: 3 s, then until every proxy is quiet (< 0.15 cores each over 1 s; at most 30 s more). */
async function settle(pids: number[]): Promise<void> {
  await sleep(3_000);
  const deadline = Date.now() + 30_000;
  while (pids.length && Date.now() < deadline) {
    const a = pids.map(cpuMsOf);
    await sleep(1_000);
    const b = pids.map(cpuMsOf);
    if (a.every((x, i) => x === undefined || b[i] === undefined || b[i]! - x < 150)) return;
  }
}

// ─── one stage ──────────────────────────────────────────────────────────────────────────────────
interface Ctx {
  legs: Leg[];
  sim: BenchChild;
  admin?: Admin;
  /** the private broker's pid (absent with KAFKA_BROKERS) */
  brokerPid?: number;
}

/** What one proxy process (floor or gateway) spent over a stage. */
function processReport(
  cpuMs: number | undefined,
  ownSlicesCpuMs: number | undefined,
  rss: Memory[],
  requests: number,
  gc: GcTrace | undefined,
  wallS: number,
) {
  const per = (n: number) => (requests > 0 ? Math.round(n / requests) : null);
  return {
    cores: cpuMs !== undefined ? round(cpuMs / 1000 / wallS) : null,
    /** CPU over the stage (its slices and the others') per request sent to this leg */
    cpu_ms_per_request: cpuMs !== undefined && requests > 0 ? round(cpuMs / requests, 3) : null,
    /**
     * CPU while serving, per request: over its own slices, each from its start to 100 ms after its
     * end (the last answers), so its idle cost during the other legs' slices is left out: what it
     * costs at the stage's rate (the targets are judged on it)
     */
    cpu_ms_per_request_serving:
      ownSlicesCpuMs !== undefined && requests > 0 ? round(ownSlicesCpuMs / requests, 3) : null,
    rss_mib: rss.length
      ? {
          max: Math.max(...rss.map((m) => m.rss_mib)),
          end: rss.at(-1)!.rss_mib,
          peak_since_start: rss.at(-1)!.peak_rss_mib,
        }
      : null,
    gc: gc
      ? {
          allocated_bytes_per_request: per(gc.allocated_bytes),
          /** promoted to the old generation + survived in the young one, per request */
          survived_scavenge_bytes_per_request: per(gc.promoted_bytes + gc.survived_bytes),
          promoted_bytes_per_request: per(gc.promoted_bytes),
          scavenges_per_s: round(gc.scavenges / wallS),
          scavenge_pause_ms: gc.scavenge_pause_ms,
          mark_compacts: gc.mark_compacts,
          mark_compact_pause_ms_total: gc.mark_compact_pause_ms_total,
        }
      : null,
  };
}

async function runStage(ctx: Ctx, rate: number, seconds: number, stream = false) {
  const stats = new Map(ctx.legs.map((l) => [l.name, new LegStats()]));
  const procs = ctx.legs.filter((l) => l.proc);
  const kafkaLeg = ctx.legs.find((l) => l.kafka);
  const kafkaBefore = ctx.admin ? await kafkaEvents(ctx.admin) : 0;
  for (const l of procs) l.gc?.next(); // skip what was logged before the stage
  const snapshot = () => ({
    load: loadAverage(),
    machine: machineTicks(),
    procs: procs.map((l) => cpuMsOf(l.proc!.pid)),
    sim: cpuMsOf(ctx.sim.pid),
    broker: ctx.brokerPid ? cpuMsOf(ctx.brokerPid) : undefined,
    all: cpuSnapshot(),
    at: performance.now(),
  });
  const rss = new Map<string, Memory[]>(procs.map((l) => [l.name, []]));
  const sampleRss = () => {
    for (const l of procs) {
      const m = memoryOf(l.proc!.pid);
      if (m) rss.get(l.name)!.push(m);
    }
  };
  const rssTimer = setInterval(sampleRss, 1_000);

  const gateways = ctx.legs.filter((l) => l.kind === 'gateway');
  const stallsBefore = await Promise.all(gateways.map((l) => loopAndGc(l.url)));
  const self0 = process.cpuUsage();
  const before = snapshot();
  const inflight: Promise<void>[] = [];
  // Past saturation, every timed-out request throws an error; stack traces (source-mapped by
  // tsx) would cost the load generator more than the request itself.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let run: Awaited<ReturnType<typeof runOpenLoop>>;
  // each process's CPU over its own slices: read at every slice start and 100 ms after every
  // slice end (its last answers), summed for the slices of its leg
  const procCpu = () => procs.map((l) => cpuMsOf(l.proc!.pid));
  const ownCpu = procs.map(() => 0 as number | undefined);
  const sliceStart: (number | undefined)[][] = [];
  const tails: Promise<void>[] = [];
  const endSlice = (slice: number) => {
    const begin = sliceStart[slice]!;
    tails.push(
      sleep(100).then(() => {
        const end = procCpu();
        procs.forEach((l, p) => {
          if (ctx.legs[slice % ctx.legs.length] !== l) return;
          const a = begin[p];
          const b = end[p];
          ownCpu[p] =
            a === undefined || b === undefined || ownCpu[p] === undefined ? undefined : ownCpu[p]! + b - a;
        });
      }),
    );
  };
  try {
    // One schedule at `rate`; the legs take turns in 1 s slices (send i is in slice ⌊i / rate⌋).
    const n = ctx.legs.length;
    run = await runOpenLoop({
      rate,
      seconds: seconds * n,
      fire: (i, due) => {
        const slice = Math.floor(i / rate);
        if (sliceStart[slice] === undefined) {
          if (slice > 0) endSlice(slice - 1);
          sliceStart[slice] = procCpu();
        }
        const leg = ctx.legs[slice % n]!;
        inflight.push(send(leg, i, due, stats.get(leg.name)!, stream));
      },
    });
    await sleep(Math.max(0, run.startedAt + seconds * n * 1000 - performance.now()));
    endSlice(seconds * n - 1);
    await Promise.all([...inflight, ...tails]);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  const stalls = await Promise.all(
    gateways.map((l, i) => loopAndGc(l.url).then((a) => stallReport(stallsBefore[i]!, a))),
  );
  if (DUMP && !stream) {
    const rows = Object.fromEntries([...stats].map(([name, s]) => [name, s.rows]));
    writeFileSync(`${DUMP}-${rate}.json`, JSON.stringify({ rate, legs: ctx.legs.map((l) => l.name), rows }));
  }
  clearInterval(rssTimer);
  sampleRss();
  const after = snapshot();
  const self = process.cpuUsage(self0);
  const ours = [
    process.pid,
    ctx.sim.pid,
    ...procs.map((l) => l.proc!.pid),
    ...(ctx.brokerPid ? [ctx.brokerPid] : []),
  ];
  const delivery =
    kafkaLeg && ctx.admin
      ? await drain(
          ctx.admin,
          kafkaLeg.url,
          kafkaBefore,
          stats.get(kafkaLeg.name)!.ok + (DURABLE_COST ? stats.get(ctx.legs[0]!.name)!.ok : 0),
        )
      : null;
  const wallS = (after.at - before.at) / 1000; // the CPU readings span the sends and their completions
  const gcTraces = procs.map((l) => l.gc?.next());

  const baseline = ctx.legs[0]!;
  const floor = ctx.legs.find((l) => l.kind === 'floor');
  const reports = new Map<string, LegReport>(
    ctx.legs.map((l) => [l.name, legReport(stats.get(l.name)!, seconds)]),
  );
  const base = reports.get(baseline.name)!;
  const floorReport = floor ? reports.get(floor.name) : undefined;
  const addedOf = (r: LegReport) => ({
    latency: minus(r.latency, base.latency),
    ...(r.net_latency && base.net_latency ? { net: minus(r.net_latency, base.net_latency) } : {}),
    ...(r.time_to_first_token && base.time_to_first_token
      ? {
          time_to_first_token: minus(r.time_to_first_token, base.time_to_first_token),
          inter_chunk_gap: minus(r.inter_chunk_gap!, base.inter_chunk_gap!),
        }
      : {}),
  });
  const floorAdded = floorReport ? addedOf(floorReport) : undefined;

  const cpu = (a?: number, b?: number) => (a !== undefined && b !== undefined ? b - a : undefined);
  const legs = ctx.legs.map((l, i) => {
    const r = reports.get(l.name)!;
    const added = i === 0 ? null : addedOf(r);
    const pi = procs.indexOf(l);
    const gi = gateways.indexOf(l);
    const checks =
      l.kind === 'gateway' && added
        ? {
            error_rate_below_1pct: r.error_rate < 0.01,
            achieved_95pct: r.achieved_rate >= 0.95 * rate,
            added_p99_bounded: added.latency.p99_ms <= BOUND_MS,
            no_backlog_growth: r.p50_last_quarter_ms <= r.p50_first_quarter_ms + BOUND_MS,
          }
        : undefined;
    return {
      name: l.name,
      kind: l.kind,
      ...r,
      added,
      /** this leg's added latency as a multiple of the floor's (× floor) */
      x_floor:
        added && floorAdded && (l.kind === 'gateway' || l.kind === 'reference')
          ? {
              latency: times(added.latency, floorAdded.latency),
              ...(added.net ? { net: times(added.net, floorAdded.net) } : {}),
              ...(added.time_to_first_token
                ? {
                    time_to_first_token: times(added.time_to_first_token, floorAdded.time_to_first_token),
                    inter_chunk_gap: times(added.inter_chunk_gap!, floorAdded.inter_chunk_gap),
                  }
                : {}),
            }
          : null,
      ...(checks ? { sustainable: Object.values(checks).every(Boolean), checks } : {}),
      process:
        pi >= 0
          ? processReport(
              cpu(before.procs[pi], after.procs[pi]),
              ownCpu[pi],
              rss.get(l.name)!,
              r.sent,
              gcTraces[pi],
              wallS,
            )
          : null,
      ...(gi >= 0 ? { stalls: stalls[gi] } : {}),
      ...(l.kafka ? { events: { gateway_2xx: r.ok, ...delivery } } : {}),
    };
  });

  const simCpuMs = cpu(before.sim, after.sim);
  const brokerCpuMs = cpu(before.broker, after.broker);
  const procCores = procs.map((_, i) => (cpu(before.procs[i], after.procs[i]) ?? 0) / 1000 / wallS);
  const busy = busyShare(before.machine, after.machine);
  return {
    rate,
    seconds_per_leg: seconds,
    stream,
    schedule: {
      sends_per_s: rate,
      slices: `1 s per leg in turn: ${ctx.legs.map((l) => l.name).join(' → ')}`,
      dispatch_elapsed_s: round(run.elapsedMs / 1000),
      dispatch_lag: run.dispatchLag,
    },
    legs,
    harness_ok: base.error_rate < 0.01 && base.latency.p99_ms <= SIM_LATENCY_MS + BOUND_MS,
    cpu: {
      machine_busy_share: busy,
      simulator_cores: simCpuMs !== undefined ? round(simCpuMs / 1000 / wallS) : null,
      load_generator_cores: round((self.user + self.system) / 1e6 / wallS),
      kafka_broker_cores: brokerCpuMs !== undefined ? round(brokerCpuMs / 1000 / wallS) : null,
      /**
       * cores busy on the machine minus ours (proxies, simulator, load generator, broker): other
       * people's work, short-lived processes included, and kernel time not charged to a process
       */
      other_work_cores: round(
        busy * cpus().length -
          [
            ...procCores,
            (simCpuMs ?? 0) / 1000 / wallS,
            (brokerCpuMs ?? 0) / 1000 / wallS,
            (self.user + self.system) / 1e6 / wallS,
          ].reduce((a, b) => a + b, 0),
      ),
      /** the busiest other processes over the stage */
      other_processes: busiestBetween(before.all, after.all, 5, ours),
    },
    load_average_before: before.load,
    load_average_after: after.load,
  };
}
type Stage = Awaited<ReturnType<typeof runStage>>;
type StageLeg = Stage['legs'][number];

// ─── output ─────────────────────────────────────────────────────────────────────────────────────
function table(stages: Stage[]): string {
  const head = [
    'rate',
    'leg',
    'sent',
    '2xx',
    'err',
    't/o',
    'p50',
    'p90',
    'p99',
    'max',
    '+p50',
    '+p99',
    '+p99×floor',
    'net+p50',
    'net+p99',
    'net×floor',
    'CPU ms/req',
    'serving',
    'alloc KB/req',
    'scav/s',
  ];
  const rows: string[][] = [];
  const f = (n: number | null | undefined, d = 2) =>
    n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d);
  for (const s of stages) {
    s.legs.forEach((l, i) => {
      const lat: LatencySummary = s.stream && l.time_to_first_token ? l.time_to_first_token : l.latency;
      const add = s.stream ? l.added?.time_to_first_token : l.added?.latency;
      const x = s.stream ? l.x_floor?.time_to_first_token : l.x_floor?.latency;
      const alloc = l.process?.gc?.allocated_bytes_per_request;
      rows.push([
        i === 0 ? `${s.rate}${s.stream ? ' stream TTFT' : ''}` : '',
        l.name,
        String(l.sent),
        String(l.ok),
        String(l.errors),
        String(l.timeouts),
        f(lat.p50_ms),
        f(lat.p90_ms),
        f(lat.p99_ms),
        f(lat.max_ms, 1),
        f(add?.p50_ms),
        f(add?.p99_ms),
        f(x?.p99),
        f(s.stream ? undefined : l.added?.net?.p50_ms),
        f(s.stream ? undefined : l.added?.net?.p99_ms),
        f(s.stream ? undefined : l.x_floor?.net?.p99),
        f(l.process?.cpu_ms_per_request, 3),
        f(l.process?.cpu_ms_per_request_serving, 3),
        alloc === null || alloc === undefined ? '-' : (alloc / 1024).toFixed(1),
        f(l.process?.gc?.scavenges_per_s, 1),
      ]);
    });
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const extra = stages.flatMap((s) => {
    const c = s.cpu;
    const lines = [
      `${s.rate} req/s${s.stream ? ' streaming' : ''}: harness_ok=${s.harness_ok}, dispatch lag p99 ${s.schedule.dispatch_lag.p99_ms} ms;` +
        ` cores: simulator ${c.simulator_cores}, load generator ${c.load_generator_cores}, Kafka ${c.kafka_broker_cores ?? '-'}, others ${c.other_work_cores};` +
        ` machine busy ${Math.round(c.machine_busy_share * 100)} %, load ${s.load_average_after.join(' ')}`,
    ];
    for (const l of s.legs) {
      if (s.stream && l.added?.inter_chunk_gap)
        lines.push(
          `  ${l.name}: inter-chunk gap p50 ${l.inter_chunk_gap!.p50_ms} / p99 ${l.inter_chunk_gap!.p99_ms} ms, added p99 ${l.added.inter_chunk_gap.p99_ms} ms` +
            (l.x_floor?.inter_chunk_gap ? ` (${l.x_floor.inter_chunk_gap.p99 ?? '-'}× floor)` : ''),
        );
      if (l.process) {
        const g = l.process.gc;
        lines.push(
          `  ${l.name}: RSS max ${l.process.rss_mib?.max ?? '-'} MiB, ${l.process.cores} cores; GC: survived ${g?.survived_scavenge_bytes_per_request ?? '-'} B/req,` +
            ` scavenge pause p50 ${g?.scavenge_pause_ms.p50 ?? '-'} / max ${g?.scavenge_pause_ms.max ?? '-'} ms, ${g?.mark_compacts ?? 0} mark-compacts` +
            ('sustainable' in l ? `; sustainable=${String(l.sustainable)}` : ''),
        );
      }
      if ('stalls' in l && l.stalls) lines.push(stallLine(l.stalls).replace('gateway', `  ${l.name}`));
      if ('events' in l && l.events)
        lines.push(
          `  ${l.name}: interaction events on Kafka ${l.events.kafka_events}/${l.events.gateway_2xx} 2xx, spool depth after ${l.events.spool_depth_after ?? '-'} (drained in ${l.events.drain_ms} ms)`,
        );
    }
    return lines;
  });
  return [fmt(head), ...rows.map(fmt), '', ...extra].join('\n');
}

/**
 * The targets per gateway leg, against the floor of the same stage; null (not judged)
 * where the stage measured a saturated machine: the direct leg slow or failing, 1 % or more of
 * the leg's or the floor's requests failed or timed out, or the floor added nothing measurable.
 */
function targetReport(stages: Stage[]) {
  const out: Record<string, unknown>[] = [];
  for (const s of stages.filter((x) => !x.stream && TARGETS.rates.includes(x.rate))) {
    const floor = s.legs.find((l) => l.kind === 'floor');
    for (const l of s.legs.filter((x): x is StageLeg => x.kind === 'gateway')) {
      const judged = s.harness_ok && l.error_rate < 0.01 && (floor?.error_rate ?? 1) < 0.01;
      // judged on the per-request (net) figures: the simulator's own time, which varies with its
      // timers and event loop, taken out of each request before the percentiles
      const ratio = l.x_floor?.net?.p99 ?? null;
      const p99x = judged && ratio !== null && ratio >= 0 ? ratio : null;
      const p50 = l.added?.net?.p50_ms ?? null;
      const cpuMs = l.process?.cpu_ms_per_request_serving ?? null;
      out.push({
        rate: s.rate,
        leg: l.name,
        judged,
        added_p99_x_floor: ratio,
        added_p99_ms: l.added?.net?.p99_ms ?? null,
        floor_added_p99_ms: floor?.added?.net?.p99_ms ?? null,
        gross_added_p99_x_floor: l.x_floor?.latency.p99 ?? null,
        added_p99_met: p99x !== null ? p99x <= TARGETS.added_p99_x_floor : null,
        added_p50_ms: p50,
        added_p50_met: judged && p50 !== null ? p50 <= TARGETS.added_p50_ms : null,
        cpu_ms_per_request_serving: cpuMs,
        cpu_ms_per_request_whole_stage: l.process?.cpu_ms_per_request ?? null,
        cpu_met:
          judged && s.rate === TARGETS.cpu_rate && cpuMs !== null
            ? cpuMs <= TARGETS.cpu_ms_per_request
            : null,
      });
    }
  }
  return out;
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────
async function main(): Promise<void> {
  const startedAt = new Date();
  console.log('what else is running (CPU over 2 s, before starting anything):');
  const busyBefore = await busiestProcesses(2_000, 6);
  for (const p of busyBefore) console.log(`  ${String(p.cores).padStart(5)} cores  ${p.pid}  ${p.command}`);
  const loadStart = loadAverage();

  const work = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  cleanupStep(async () => rmSync(work, { recursive: true, force: true }));

  let broker: KafkaBroker | null = null;
  let brokers: string | undefined;
  let admin: Admin | undefined;
  if (BUSES.includes('kafka')) {
    if (!process.env.KAFKA_BROKERS) {
      console.log('starting a private Kafka 3.9.1 broker (infra/local)…');
      broker = await startKafka();
      cleanupStep(() => broker!.stop());
    }
    brokers = process.env.KAFKA_BROKERS ?? broker!.brokers;
    admin = new Kafka({
      clientId: 'bench-gateway',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const a = admin;
    cleanupStep(() => a.disconnect());
  }

  const [simPort, floorPort, inspectPort] = (await freePorts(3)) as [number, number, number];
  // the compiled build of every service, and of the floor (plain node, no loader: what runs in
  // production); tsx on request
  let cli = ['--import', 'tsx', CLI_MAIN];
  let floorMain = ['--import', 'tsx', BARE_PROXY];
  let referenceMain = ['--import', 'tsx', REFERENCE_PROXY];
  if (RUNNER === 'compiled') {
    // one file each, dependencies bundled in (undici…): it runs from the temp folder
    const single = async (entry: string, name: string) => {
      const outfile = join(work, name);
      await esbuild({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        logLevel: 'warning',
      });
      return [outfile];
    };
    const bundle = DEFAULT_OUTFILE;
    await buildServices(bundle);
    cli = [bundle];
    floorMain = await single(BARE_PROXY, 'bare-proxy.js');
    if (REFERENCES.length) referenceMain = await single(REFERENCE_PROXY, 'reference-proxy.js');
  }
  const sim = await startChild({
    name: 'upstream-sim',
    command: process.execPath,
    args: [...cli, 'start', '--only', 'sim'],
    env: {
      ...process.env,
      SIM_PORT: String(simPort),
      SIM_HOST: '127.0.0.1',
      SIM_LATENCY_MS: String(SIM_LATENCY_MS),
    },
    cwd: ROOT,
    logFile: join(work, 'sim.log'),
  });
  cleanupStep(() => sim.stop());
  const simUrl = `http://127.0.0.1:${simPort}`;
  await waitForHttp(sim, `${simUrl}/healthz`, 180_000);
  console.log(`simulator at ${simUrl} (own process ${sim.pid}), ${SIM_LATENCY_MS} ms upstream latency`);

  const traced = (child: BenchChild) => gcTraceReader(child.logFile);
  const floorProc = await startChild({
    name: 'floor',
    command: process.execPath,
    args: [...GATEWAY_NODE_FLAGS, '--trace-gc-nvp', ...floorMain],
    env: { ...process.env, BARE_PROXY_PORT: String(floorPort), BARE_PROXY_UPSTREAM: simUrl },
    cwd: ROOT,
    logFile: join(work, 'floor.log'),
  });
  cleanupStep(() => floorProc.stop());
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  await waitForHttp(floorProc, `${floorUrl}/healthz`, 60_000);
  console.log(`floor (bare undici proxy) at ${floorUrl} (own process ${floorProc.pid})`);

  const config = join(work, 'gateway-bench.yaml');
  writeFileSync(
    config,
    readFileSync(CONFIG_FIXTURE, 'utf8')
      .replaceAll('http://127.0.0.1:8090/v1', `${simUrl}/v1`)
      .replace('sim-ok-drip-10', `sim-ok-drip-${DRIP_MS}`),
  );
  let first = true;
  const startGateway = async (name: string, env: NodeJS.ProcessEnv, nodeFlags = GATEWAY_NODE_FLAGS) => {
    const [port] = (await freePorts(1)) as [number];
    const profiled = PROFILE && first;
    first = false;
    const child = await startChild({
      name,
      command: process.execPath,
      args: [
        ...(profiled ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
        ...nodeFlags,
        '--trace-gc-nvp',
        ...cli,
        'start',
        '--only',
        'gateway',
      ],
      env: {
        ...process.env,
        KAFKA_BROKERS: undefined,
        GATEWAY_PORT: String(port),
        GATEWAY_HOST: '127.0.0.1',
        FLYWHEEL_API_KEYS: GATEWAY_KEY,
        FLYWHEEL_ADMIN_TOKEN: randomBytes(24).toString('hex'),
        FLYWHEEL_FEEDBACK_SECRET: randomBytes(48).toString('base64'),
        FLYWHEEL_CONFIG: config,
        FLAGS_FILE: FLAGS_FIXTURE,
        FLYWHEEL_DATA_DIR: join(work, `data-${name}`),
        SIM_API_KEY: 'sim-bench-key',
        ...env,
      },
      cwd: ROOT,
      logFile: join(work, `${name}.log`),
    });
    cleanupStep(() => child.stop());
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(child, `${url}/healthz`, 300_000);
    const readyz = await probeReadyz(url);
    if (readyz.status !== 200) console.warn(`${name} /readyz answers ${readyz.status}: ${readyz.body}`);
    console.log(`${name} at ${url} (own process ${child.pid})`);
    return { child, url, readyz };
  };

  const pool = (url: string) =>
    new Pool(url, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 30_000 });
  const json = { 'content-type': 'application/json' };
  // 1,000 users; bodies built once so the load generator spends its CPU on sending.
  const bodies = (model: string, stream: boolean) =>
    Array.from({ length: 1000 }, (_, u) =>
      JSON.stringify({
        model,
        messages: MESSAGES,
        max_tokens: stream ? STREAM_MAX_TOKENS : 64,
        user: `bench-user-${u}`,
        ...(stream ? { stream } : {}),
      }),
    );
  // `sim-ok-timed-slow-0` behaves exactly like `sim-ok-timed` (what bench-model calls) but is
  // counted apart in the simulator's stats, which tells the gateways' upstream calls from the
  // other legs'. `timed`: the answer ends with the simulator's own time for the request.
  const simBodies = [bodies(DIRECT_MODEL, false), bodies(`sim-ok-slow-0-drip-${DRIP_MS}`, true)] as const;
  const gwBodies = [bodies('route:bench', false), bodies('route:bench-stream', true)] as const;
  const simBody = (n: number, stream: boolean) => simBodies[stream ? 1 : 0][n % 1000]!;
  const gwBody = (n: number, stream: boolean) => gwBodies[stream ? 1 : 0][n % 1000]!;
  const simAuth = { ...json, authorization: 'Bearer sim-bench-key' };
  const gwAuth = { ...json, authorization: `Bearer ${GATEWAY_KEY}` };

  const legs: Leg[] = [];
  const readyz: Record<string, { status: number; body: string }> = {};
  const gatewayLeg = async (
    name: string,
    bus: 'embedded' | 'kafka',
    env: NodeJS.ProcessEnv = {},
    nodeFlags?: string[],
  ) => {
    const g = await startGateway(
      name,
      { ...(bus === 'kafka' ? { KAFKA_BROKERS: brokers } : {}), ...env },
      nodeFlags,
    );
    readyz[name] = g.readyz;
    const leg: Leg = {
      name,
      kind: 'gateway',
      pool: pool(g.url),
      headers: gwAuth,
      body: gwBody,
      mustHave: 'x-flywheel-interaction-id',
      proc: g.child,
      url: g.url,
      kafka: bus === 'kafka',
      gc: traced(g.child),
    };
    return leg;
  };
  if (DURABLE_COST) {
    const noWait = await gatewayLeg('gateway-no-wait', 'kafka', { GATEWAY_EVENT_DURABLE_WAIT: 'false' });
    noWait.kafka = true;
    legs.push({ ...noWait, kind: 'direct', kafka: false }, await gatewayLeg('gateway-kafka', 'kafka'));
  } else {
    legs.push(
      { name: 'direct', kind: 'direct', pool: pool(simUrl), headers: simAuth, body: simBody },
      {
        name: 'floor',
        kind: 'floor',
        pool: pool(floorUrl),
        headers: simAuth,
        body: simBody,
        proc: floorProc,
        gc: traced(floorProc),
      },
    );
    for (const mode of REFERENCES) {
      if (mode === 'durable' && !brokers)
        throw new Error('BENCH_GATEWAY_REFERENCES=durable needs the kafka bus');
      const name = `floor-${mode}`;
      const referenceKey = randomBytes(16).toString('hex');
      const [port] = (await freePorts(1)) as [number];
      const proc = await startChild({
        name,
        command: process.execPath,
        args: [...GATEWAY_NODE_FLAGS, '--trace-gc-nvp', ...referenceMain],
        env: {
          ...process.env,
          REFERENCE_PROXY_PORT: String(port),
          REFERENCE_PROXY_UPSTREAM: simUrl,
          REFERENCE_PROXY_KEY: referenceKey,
          REFERENCE_PROXY_UPSTREAM_KEY: 'sim-bench-key',
          REFERENCE_PROXY_MODE: mode,
          REFERENCE_PROXY_BROKERS: brokers,
          REFERENCE_PROXY_SPOOL: join(work, `spool-${name}`),
        },
        cwd: ROOT,
        logFile: join(work, `${name}.log`),
      });
      cleanupStep(() => proc.stop());
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(proc, `${url}/healthz`, 60_000);
      console.log(`${name} (reference proxy, ${mode}) at ${url} (own process ${proc.pid})`);
      legs.push({
        name,
        kind: 'reference',
        pool: pool(url),
        headers: { ...json, authorization: `Bearer ${referenceKey}` },
        body: simBody,
        proc,
        gc: traced(proc),
      });
    }
    for (const bus of BUSES) legs.push(await gatewayLeg(`gateway-${bus}`, bus));
    for (const v of VARIANTS) legs.push(await gatewayLeg(`gateway-${v.name}`, 'embedded', {}, v.flags));
  }
  cleanupStep(() => Promise.all(legs.map((l) => l.pool.close())));
  const ctx: Ctx = { legs, sim, admin, brokerPid: broker?.pid };
  const procPids = legs.flatMap((l) => (l.proc ? [l.proc.pid] : []));

  // Each gateway's CPU at rest (timers, pollers, the relay): its fixed cost, apart from requests.
  const idle: Record<string, number | null> = {};
  const cpu0 = legs.map((l) => (l.proc ? cpuMsOf(l.proc.pid) : undefined));
  await sleep(5_000);
  legs.forEach((l, i) => {
    const c1 = l.proc ? cpuMsOf(l.proc.pid) : undefined;
    if (l.proc)
      idle[l.name] = cpu0[i] !== undefined && c1 !== undefined ? round((c1 - cpu0[i]!) / 5_000, 3) : null;
  });
  console.log(`at rest (cores): ${JSON.stringify(idle)}`);

  // Warm-up: connections, JIT, flag evaluation, topic creation, the relay's producer; both request kinds.
  if (WARMUP_SECONDS > 0) {
    console.log(`warm-up: ${WARMUP_SECONDS} s per leg at 100 req/s, then the same streaming`);
    for (const stream of [false, true]) {
      const warm = await runStage(ctx, 100, WARMUP_SECONDS, stream);
      const dead = warm.legs.find((l) => l.ok === 0);
      if (dead)
        throw new Error(
          `warm-up: no ${dead.name} request succeeded: ${JSON.stringify(dead.error_samples ?? dead.by_status)}` +
            `\n${legs.find((l) => l.name === dead.name)?.proc?.tail() ?? ''}`,
        );
    }
    await settle(procPids);
  }

  const stages: Stage[] = [];
  const plan = [
    ...RATES.map((rate) => ({ rate, stream: false })),
    ...(STREAM_RATE > 0 && !DURABLE_COST ? [{ rate: STREAM_RATE, stream: true }] : []),
  ];
  for (const { rate, stream } of plan) {
    console.log(
      `stage: ${rate} req/s${stream ? ' streaming' : ''}, ${SECONDS} s per leg in 1 s slices (${SECONDS * legs.length} s)…`,
    );
    if (STAGE_WARMUP_SECONDS > 0) {
      await runStage(ctx, rate, STAGE_WARMUP_SECONDS, stream);
      await settle(procPids);
    }
    const stage = await runStage(ctx, rate, SECONDS, stream);
    stages.push(stage);
    for (const l of stage.legs) {
      const lat = stream ? l.time_to_first_token : l.latency;
      console.log(
        `  ${l.name.padEnd(17)} ${l.ok}/${l.sent} 2xx, ${stream ? 'TTFT ' : ''}p50 ${lat?.p50_ms} p99 ${lat?.p99_ms} ms` +
          (l.added
            ? `; added p99 ${(stream ? l.added.time_to_first_token : l.added.latency)?.p99_ms} ms`
            : '') +
          (l.x_floor
            ? ` (${(stream ? l.x_floor.time_to_first_token : l.x_floor.latency)?.p99 ?? '-'}× floor)`
            : '') +
          (!stream && l.added?.net
            ? `; net added p50 ${l.added.net.p50_ms} p99 ${l.added.net.p99_ms} ms`
            : '') +
          (l.x_floor?.net ? ` (${l.x_floor.net.p99 ?? '-'}× floor)` : '') +
          (l.process
            ? `; CPU ${l.process.cpu_ms_per_request_serving} ms/req serving (${l.process.cpu_ms_per_request} over the stage)`
            : ''),
      );
    }
    await settle(procPids);
  }

  let profile:
    | (ProfileSummary & {
        rate: number;
        seconds: number;
        leg: string;
        file: string;
        cpu_ms_per_request: number;
        bucket_cpu_ms_per_request: Record<string, number>;
        stage: Stage;
      })
    | undefined;
  const profiled = legs.find((l) => l.kind === 'gateway');
  if (PROFILE && profiled) {
    console.log(`profiled stage: ${PROFILE_RATE} req/s, ${profiled.name}'s CPU sampled at 1 kHz…`);
    const inspector = await InspectorSession.connect(inspectPort);
    await inspector.startProfiling(1_000);
    const stage = await runStage(ctx, PROFILE_RATE, SECONDS);
    const cpuProfile = await inspector.stopProfiling();
    inspector.close();
    const file = join(
      tmpdir(),
      `flywheel-gateway-${startedAt.toISOString().replace(/[:.]/g, '-')}.cpuprofile`,
    );
    writeFileSync(file, JSON.stringify(cpuProfile));
    const summary = summarizeCpuProfile(cpuProfile, ROOT, 25, COST_BUCKETS);
    const cpuPerRequest =
      stage.legs.find((l) => l.name === profiled.name)?.process?.cpu_ms_per_request ?? NaN;
    profile = {
      rate: PROFILE_RATE,
      seconds: SECONDS,
      leg: profiled.name,
      file,
      /**
       * The gateway's CPU per request in that stage (/proc), split by the buckets' shares. (The
       * profile's own busy time is wall time on the main thread: under CPU contention it
       * includes time spent descheduled, so only its shares are used.)
       */
      cpu_ms_per_request: cpuPerRequest,
      bucket_cpu_ms_per_request: Object.fromEntries(
        (summary.buckets ?? []).map((b) => [b.name, round((cpuPerRequest * b.self_pct) / 100, 3)]),
      ),
      ...summary,
      stage,
    };
  }

  const kafkaLeg = legs.find((l) => l.kafka);
  const results = {
    benchmark: 'gateway',
    mode: DRY
      ? 'dry-run: direct and floor only, no gateway'
      : DURABLE_COST
        ? 'durable-wait cost: baseline leg = a gateway with GATEWAY_EVENT_DURABLE_WAIT=false, other leg = the normal gateway'
        : 'gateway',
    date: startedAt.toISOString(),
    machine: machineInfo(),
    conditions: {
      load_average_at_start: loadStart,
      load_average_at_end: loadAverage(),
      busiest_processes_before_start: busyBefore,
      note:
        'The load generator, the simulator, the proxies and the Kafka broker share the machine; ' +
        'load average and per-process CPU are recorded per stage.',
    },
    setup: {
      rates: RATES,
      streaming_rate: STREAM_RATE,
      seconds_per_leg_per_stage: SECONDS,
      warmup_seconds_per_leg: WARMUP_SECONDS,
      stage_warmup_seconds_per_leg: STAGE_WARMUP_SECONDS,
      upstream_latency_ms: SIM_LATENCY_MS,
      stream_drip_ms: DRIP_MS,
      legs: legs.map((l) => l.name),
      interleaving:
        'one open-loop schedule at the stage rate; the legs take turns in 1 s slices, so each sees the full rate ' +
        'during its slices; latency from the scheduled send time to the end of the body (streams: to the first ' +
        'chunk with content, and the gaps between chunks)',
      timeout_ms: TIMEOUT_MS,
      connections_per_leg: CONNECTIONS,
      request: `POST /v1/chat/completions, 1 user message, max_tokens 64; streaming stage: stream: true, max_tokens ${STREAM_MAX_TOKENS}`,
      gateway: DRY
        ? null
        : `${RUNNER === 'tsx' ? 'node --import tsx services/cli/src/main.ts' : 'node services/cli/dist/flywheel.js (npm run build)'} start --only gateway, route:bench → bench-model → sim-ok-timed`,
      floor: `${RUNNER === 'tsx' ? 'node --import tsx bench/lib/bare-proxy.ts' : 'bench/lib/bare-proxy.ts compiled by esbuild, run by node'}: node:http + undici Pool pass-through, nothing else`,
      node_flags: [...GATEWAY_NODE_FLAGS, '--trace-gc-nvp'],
      ...(VARIANTS.length ? { variants: VARIANTS } : {}),
      gateway_readyz_after_boot: readyz,
      config: 'bench/fixtures/gateway-bench.yaml, bench/fixtures/gateway-bench-flags.json',
      kafka: !brokers ? null : broker ? 'private 3.9.1 broker (infra/local)' : brokers,
      added_latency: `leg percentile − ${legs[0]!.name} percentile over the 2xx answers of the same stage`,
      net_latency:
        "each non-streamed 2xx's latency minus the simulator's own time for that request (the `timed` model ends " +
        'its answer with it); added net = leg net percentile − direct net percentile. The targets are judged on ' +
        "it: the simulator's timer jitter no longer lands on whichever leg drew it",
      x_floor: "a gateway's added figure divided by the floor's added figure of the same stage",
      cpu_ms_per_request: "the process's CPU over the whole stage divided by the requests sent to its leg",
      cpu_ms_per_request_serving:
        "the process's CPU over its own slices (each from its start to 100 ms after its end) divided by the " +
        "requests sent to its leg: its cost at the stage rate, without its idle cost during the other legs' slices; " +
        'the CPU target is judged on it',
      sustainable_definition:
        `errors + timeouts < 1 %, 2xx ≥ 95 % of the target rate, added p99 ≤ ${BOUND_MS} ms, and p50 of the ` +
        `stage's last quarter ≤ first quarter + ${BOUND_MS} ms`,
    },
    targets: { ...TARGETS, by_stage: targetReport(stages) },
    harness_ok_all_stages: stages.every((s) => s.harness_ok),
    summary: stages.map((s) => ({
      rate: s.rate,
      stream: s.stream,
      load_average_after: s.load_average_after,
      legs: Object.fromEntries(
        s.legs.map((l) => [
          l.name,
          {
            p50_ms: (s.stream ? l.time_to_first_token : l.latency)?.p50_ms ?? null,
            p99_ms: (s.stream ? l.time_to_first_token : l.latency)?.p99_ms ?? null,
            added: (s.stream ? l.added?.time_to_first_token : l.added?.latency) ?? null,
            x_floor: (s.stream ? l.x_floor?.time_to_first_token : l.x_floor?.latency) ?? null,
            ...(s.stream
              ? {
                  inter_chunk_gap_added: l.added?.inter_chunk_gap ?? null,
                  inter_chunk_gap_x_floor: l.x_floor?.inter_chunk_gap ?? null,
                }
              : {}),
            error_rate: l.error_rate,
            cpu_ms_per_request: l.process?.cpu_ms_per_request ?? null,
            cpu_ms_per_request_serving: l.process?.cpu_ms_per_request_serving ?? null,
            allocated_bytes_per_request: l.process?.gc?.allocated_bytes_per_request ?? null,
            survived_scavenge_bytes_per_request: l.process?.gc?.survived_scavenge_bytes_per_request ?? null,
            scavenges_per_s: l.process?.gc?.scavenges_per_s ?? null,
            rss_max_mib: l.process?.rss_mib?.max ?? null,
          },
        ]),
      ),
    })),
    stages,
    events: kafkaLeg
      ? {
          leg: kafkaLeg.name,
          interactions_on_kafka_total: admin ? await kafkaEvents(admin) : null,
          bus_metrics_at_end: await scrapeMetrics(kafkaLeg.url, 'flywheel_bus_'),
        }
      : null,
    idle_cores_before_load: idle,
    ...(profile ? { profile } : {}),
  };

  console.log('\n' + table(stages));
  if (profile) {
    console.log(
      `\nprofiled stage (${profile.rate} req/s, ${profile.leg}): busy ${profile.busy_ms} of ${profile.sampled_ms} ms sampled,` +
        ` ${profile.cpu_ms_per_request} CPU ms per request`,
    );
    const list = (title: string, rows: { self_pct: number; name: string }[] = []) => {
      console.log(`  ${title} (% of busy time):`);
      for (const r of rows.slice(0, 12)) console.log(`  ${String(r.self_pct).padStart(6)} %  ${r.name}`);
    };
    list('cost buckets', profile.buckets);
    list('self time by calling package/workspace', profile.by_calling_area);
    list('top functions by self time', profile.top_functions);
    console.log(`  raw profile: ${profile.file}`);
  }
  console.log(`\ntargets: ${JSON.stringify(results.targets.by_stage)}`);
  if (process.env.BENCH_GATEWAY_JSON === '1') console.log('\n' + JSON.stringify(results, null, 2));
  if (DRY) console.log('dry run: no results file written');
  else console.log(`wrote ${writeResults(DURABLE_COST ? 'gateway-durable-wait' : 'gateway', results)}`);
}

main()
  .then(() => cleanUp())
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanUp();
    process.exit(1);
  });
