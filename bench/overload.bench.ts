/**
 * Overload benchmark: the gateway under 10× the load it admits, with and without shedding.
 *   npm run bench:overload
 *
 * Processes besides this one (the load generator): the upstream simulator (fixed latency
 * BENCH_OVERLOAD_SIM_LATENCY_MS, default 1,000 ms: an LLM-like call) and, one after the other,
 * two gateways (`flywheel start --only gateway`, embedded bus, bench/fixtures/gateway-bench.yaml):
 * - "shedding": GATEWAY_MAX_IN_FLIGHT = BENCH_OVERLOAD_MAX_IN_FLIGHT (default 4), the event-loop
 *   guard at its defaults;
 * - "unshed": the cap and the loop guard off (GATEWAY_MAX_IN_FLIGHT=0, …_MAX_EVENT_LOOP_*=0), as
 *   before shedding existed.
 * The capacity the cap admits is MAX_IN_FLIGHT / upstream latency (4 / 1 s = 4 req/s, so 10× is
 * 40 req/s: small enough for the load generator to keep its schedule on a shared 2-core machine;
 * at 320 req/s it fell seconds behind and measured itself). Each gateway gets a floor stage at
 * half that (BENCH_OVERLOAD_FLOOR_SECONDS, default 10 s: p99 with no overload, the yardstick of
 * this machine at this moment) and then the overload stage: an open-loop generator at
 * BENCH_OVERLOAD_FACTOR (default 10) × capacity for BENCH_OVERLOAD_SECONDS (default 60),
 * non-streaming chat completions with 20 KB prompts (the reproduction).
 * Latency is measured from each request's scheduled send time (no coordinated omission); a request
 * not answered within BENCH_OVERLOAD_TIMEOUT_MS (default 10 s) counts as a timeout.
 *
 * Reported per gateway and stage: sent, admitted (2xx), shed (503 overloaded) and its share, other
 * errors, timeouts; latency p50/p99/max of admitted requests and of shed answers; the gateway's
 * RSS every second (and max, end); /healthz latency polled every second during the stage (ops
 * endpoints must stay answerable); the gateway's flywheel_http_shed_total by reason.
 * Prints a summary and writes bench/results/overload.json. Every child process is stopped on
 * exit, SIGINT and SIGTERM included.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { freePorts } from '../infra/local/ports';
import { type BenchChild, startChild, waitForHttp } from './lib/child';
import { exitCleanups } from './lib/cleanup';
import { runOpenLoop } from './lib/open-loop';
import { memoryOf } from './lib/procfs';
import { machineInfo, writeResults } from './lib/results';
import { round, summarize } from './lib/stats';

const ROOT = join(__dirname, '..');
const CLI_MAIN = join(ROOT, 'services/cli/src/main.ts');
const CONFIG_FIXTURE = join(__dirname, 'fixtures/gateway-bench.yaml');
const FLAGS_FIXTURE = join(__dirname, 'fixtures/gateway-bench-flags.json');
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SIM_LATENCY_MS = num('BENCH_OVERLOAD_SIM_LATENCY_MS', 1_000);
const MAX_IN_FLIGHT = num('BENCH_OVERLOAD_MAX_IN_FLIGHT', 4);
const FACTOR = num('BENCH_OVERLOAD_FACTOR', 10);
const SECONDS = num('BENCH_OVERLOAD_SECONDS', 60);
const FLOOR_SECONDS = num('BENCH_OVERLOAD_FLOOR_SECONDS', 10);
const TIMEOUT_MS = num('BENCH_OVERLOAD_TIMEOUT_MS', 10_000);
const CAPACITY = (MAX_IN_FLIGHT * 1000) / SIM_LATENCY_MS;
const GATEWAY_KEY = `bench-${randomBytes(12).toString('hex')}`;
/** The Node flags of the Dockerfile's gateway target, as bench:gateway runs it. */
const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=256'];
/** ~20 KB prompts, a different one per user so nothing is cached along the way. */
const BODIES = Array.from({ length: 200 }, (_, u) =>
  JSON.stringify({
    model: 'route:bench',
    messages: [{ role: 'user', content: `user ${u}: ${'please summarise this paragraph. '.repeat(620)}` }],
    max_tokens: 64,
    user: `bench-user-${u}`,
  }),
);

const MODES = {
  shedding: { GATEWAY_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) },
  unshed: {
    GATEWAY_MAX_IN_FLIGHT: '0',
    GATEWAY_MAX_EVENT_LOOP_DELAY_MS: '0',
    GATEWAY_MAX_EVENT_LOOP_UTILIZATION: '0',
  },
} as const;
type Mode = keyof typeof MODES;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { push: cleanupStep, cleanUp } = exitCleanups('the gateways and the simulator');

// ─── one stage ──────────────────────────────────────────────────────────────────────────────────
class StageStats {
  sent = 0;
  timeouts = 0;
  network = 0;
  readonly byStatus: Record<string, number> = {};
  readonly admitted: number[] = [];
  readonly shed: number[] = [];
  readonly samples = new Set<string>();
  missingRetryAfter = 0;
}

async function send(pool: Pool, n: number, scheduledAt: number, stats: StageStats): Promise<void> {
  stats.sent++;
  const signal = AbortSignal.timeout(Math.max(1, Math.ceil(TIMEOUT_MS - (performance.now() - scheduledAt))));
  try {
    const res = await pool.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_KEY}` },
      body: BODIES[n % BODIES.length],
      signal,
    });
    const text = await res.body.text();
    const latency = performance.now() - scheduledAt;
    stats.byStatus[res.statusCode] = (stats.byStatus[res.statusCode] ?? 0) + 1;
    if (res.statusCode < 300) stats.admitted.push(latency);
    else if (res.statusCode === 503 && text.includes('"overloaded"')) {
      stats.shed.push(latency);
      if (res.headers['retry-after'] === undefined) stats.missingRetryAfter++;
    } else if (stats.samples.size < 5) stats.samples.add(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  } catch (err) {
    if (signal.aborted) stats.timeouts++;
    else {
      stats.network++;
      if (stats.samples.size < 5) stats.samples.add(`${(err as Error).name}: ${(err as Error).message}`);
    }
  }
}

/** /healthz latency once a second while the stage runs. */
function pollHealth(url: string): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        await res.arrayBuffer();
        latencies.push(res.ok ? performance.now() - t0 : TIMEOUT_MS);
      } catch {
        latencies.push(TIMEOUT_MS);
      }
      await sleep(1_000);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

async function shedCounters(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^flywheel_http_shed_total\{[^}]*reason="([a-z_]+)"\} (\d+)/gm)) {
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function runStage(gateway: BenchChild, url: string, pool: Pool, rate: number, seconds: number) {
  const stats = new StageStats();
  const rss: { t_s: number; rss_mib: number }[] = [];
  const t0 = performance.now();
  const rssTimer = setInterval(() => {
    const m = memoryOf(gateway.pid);
    if (m) rss.push({ t_s: round((performance.now() - t0) / 1000, 1), rss_mib: m.rss_mib });
  }, 1_000);
  const shedBefore = await shedCounters(url);
  const health = pollHealth(url);
  const inflight: Promise<void>[] = [];
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // timed-out requests throw; their stacks would cost more than the request
  let run: Awaited<ReturnType<typeof runOpenLoop>>;
  try {
    run = await runOpenLoop({
      rate,
      seconds,
      fire: (i, due) => inflight.push(send(pool, i, due, stats)),
    });
    await Promise.all(inflight);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    clearInterval(rssTimer);
  }
  const healthz = summarize(await health.stop());
  const shedAfter = await shedCounters(url);
  const rssEnd = memoryOf(gateway.pid);
  const shed = stats.shed.length;
  return {
    rate,
    seconds,
    dispatch_lag: run.dispatchLag,
    sent: stats.sent,
    admitted: stats.admitted.length,
    shed,
    shed_share: stats.sent ? round(shed / stats.sent, 4) : NaN,
    timeouts: stats.timeouts,
    network_errors: stats.network,
    other_errors: stats.sent - stats.admitted.length - shed - stats.timeouts - stats.network,
    by_status: stats.byStatus,
    ...(stats.samples.size ? { error_samples: [...stats.samples] } : {}),
    shed_without_retry_after: stats.missingRetryAfter,
    admitted_rate: round(stats.admitted.length / seconds, 1),
    admitted_latency: summarize(stats.admitted),
    shed_latency: summarize(stats.shed),
    healthz_latency: healthz,
    gateway_shed_total: Object.fromEntries(
      Object.entries(shedAfter).map(([reason, n]) => [reason, n - (shedBefore[reason] ?? 0)]),
    ),
    gateway_rss_mib: {
      start: rss[0]?.rss_mib ?? null,
      max: rss.length ? Math.max(...rss.map((s) => s.rss_mib)) : null,
      end: rssEnd?.rss_mib ?? null,
      peak_since_boot: rssEnd?.peak_rss_mib ?? null,
      every_second: rss,
    },
  };
}

type Stage = Awaited<ReturnType<typeof runStage>>;

function line(label: string, s: Stage): string {
  const a = s.admitted_latency;
  return (
    `  ${label.padEnd(9)} ${s.rate}/s: sent ${s.sent}, admitted ${s.admitted} (${s.admitted_rate}/s), ` +
    `shed ${s.shed} (${round(s.shed_share * 100, 1)} %), timeouts ${s.timeouts}, other ${s.other_errors + s.network_errors}; ` +
    `admitted p50 ${a.p50_ms} / p99 ${a.p99_ms} / max ${a.max_ms} ms; shed p99 ${s.shed_latency.p99_ms} ms; ` +
    `healthz max ${s.healthz_latency.max_ms} ms; RSS ${s.gateway_rss_mib.start} → max ${s.gateway_rss_mib.max} MiB`
  );
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────
async function startGateway(mode: Mode, work: string, simUrl: string, port: number): Promise<BenchChild> {
  const config = join(work, 'gateway-bench.yaml');
  writeFileSync(
    config,
    readFileSync(CONFIG_FIXTURE, 'utf8').replaceAll('http://127.0.0.1:8090/v1', `${simUrl}/v1`),
  );
  const gateway = await startChild({
    name: `gateway-${mode}`,
    command: process.execPath,
    args: [...GATEWAY_NODE_FLAGS, '--import', 'tsx', CLI_MAIN, 'start', '--only', 'gateway'],
    env: {
      ...process.env,
      KAFKA_BROKERS: undefined,
      REDIS_URL: undefined,
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: '127.0.0.1',
      FLYWHEEL_API_KEYS: GATEWAY_KEY,
      FLYWHEEL_FEEDBACK_SECRET: randomBytes(48).toString('base64'),
      FLYWHEEL_CONFIG: config,
      FLAGS_FILE: FLAGS_FIXTURE,
      FLYWHEEL_DATA_DIR: join(work, mode),
      SIM_API_KEY: 'sim-bench-key',
      ...MODES[mode],
    },
    cwd: ROOT,
    logFile: join(work, `gateway-${mode}.log`),
  });
  cleanupStep(() => gateway.stop());
  await waitForHttp(gateway, `http://127.0.0.1:${port}/healthz`, 120_000);
  return gateway;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-overload-'));
  cleanupStep(async () => rmSync(work, { recursive: true, force: true }));
  const [simPort, gwPort] = (await freePorts(2)) as [number, number];
  const sim = await startChild({
    name: 'upstream-sim',
    command: process.execPath,
    args: ['--import', 'tsx', CLI_MAIN, 'start', '--only', 'sim'],
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
  await waitForHttp(sim, `${simUrl}/healthz`, 60_000);
  const overloadRate = Math.round(CAPACITY * FACTOR);
  const floorRate = Math.max(1, Math.round(CAPACITY / 2));
  console.log(
    `simulator ${SIM_LATENCY_MS} ms; cap ${MAX_IN_FLIGHT} in flight → capacity ${round(CAPACITY, 1)} req/s; ` +
      `floor ${floorRate}/s for ${FLOOR_SECONDS} s, overload ${overloadRate}/s (${FACTOR}×) for ${SECONDS} s`,
  );

  const results: Record<Mode, { floor: Stage; overload: Stage }> = {} as never;
  for (const mode of Object.keys(MODES) as Mode[]) {
    const gateway = await startGateway(mode, work, simUrl, gwPort);
    const url = `http://127.0.0.1:${gwPort}`;
    const pool = new Pool(url, { connections: 2_048, pipelining: 1, keepAliveTimeout: 30_000 });
    // warm-up: JIT, connections, the upstream client
    await runStage(gateway, url, pool, floorRate, 3);
    console.log(`${mode} (gateway pid ${gateway.pid}):`);
    const floor = await runStage(gateway, url, pool, floorRate, FLOOR_SECONDS);
    console.log(line('floor', floor));
    await sleep(2_000);
    const overload = await runStage(gateway, url, pool, overloadRate, SECONDS);
    console.log(line('overload', overload));
    results[mode] = { floor, overload };
    await pool.close();
    await gateway.stop();
  }

  const ratio = (a: number | null, b: number | null) => (a && b ? round(a / b, 2) : null);
  const summary = {
    admitted_p99_ms: {
      shedding: results.shedding.overload.admitted_latency.p99_ms,
      unshed: results.unshed.overload.admitted_latency.p99_ms,
      floor: results.shedding.floor.admitted_latency.p99_ms,
    },
    /** admitted p99 under 10× overload over the same gateway's floor p99: bounded when shedding */
    admitted_p99_over_floor: {
      shedding: ratio(
        results.shedding.overload.admitted_latency.p99_ms,
        results.shedding.floor.admitted_latency.p99_ms,
      ),
      unshed: ratio(
        results.unshed.overload.admitted_latency.p99_ms,
        results.unshed.floor.admitted_latency.p99_ms,
      ),
    },
    shed_share: {
      shedding: results.shedding.overload.shed_share,
      unshed: results.unshed.overload.shed_share,
    },
    timeouts: { shedding: results.shedding.overload.timeouts, unshed: results.unshed.overload.timeouts },
    rss_max_mib: {
      shedding: results.shedding.overload.gateway_rss_mib.max,
      unshed: results.unshed.overload.gateway_rss_mib.max,
    },
    healthz_max_ms: {
      shedding: results.shedding.overload.healthz_latency.max_ms,
      unshed: results.unshed.overload.healthz_latency.max_ms,
    },
  };
  console.log('summary:', JSON.stringify(summary, null, 2));
  const file = writeResults('overload', {
    date: new Date().toISOString(),
    machine: machineInfo(),
    settings: {
      sim_latency_ms: SIM_LATENCY_MS,
      max_in_flight: MAX_IN_FLIGHT,
      capacity_req_s: round(CAPACITY, 1),
      factor: FACTOR,
      overload_rate: overloadRate,
      floor_rate: floorRate,
      seconds: SECONDS,
      floor_seconds: FLOOR_SECONDS,
      timeout_ms: TIMEOUT_MS,
      prompt_bytes: BODIES[0]!.length,
      bus: 'embedded',
    },
    summary,
    modes: results,
  });
  console.log(`wrote ${file}`);
}

main()
  .then(() => cleanUp())
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanUp();
    process.exit(1);
  });
