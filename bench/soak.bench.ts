/**
 * Memory soak: does a service's RSS stay flat under a long steady load?
 *   npm run bench:soak                                  (every target, SOAK_SECONDS each)
 *   npm run bench:soak -- --only gateway-embedded       (one target; comma-separate several)
 *
 * Targets: gateway-embedded, feedback-embedded, gateway-kafka, feedback-kafka. Each target is
 * one service started the way its container runs it (Dockerfile: the compiled bundle, `node
 * services/cli/dist/flywheel.js start --only <service>`, with the gateway image's Node flags;
 * `npm run build` first), in its own process; SOAK_TSX=1 runs the TypeScript sources through tsx
 * instead (`npm start`'s way) to compare, and SOAK_NODE_ARGS adds Node flags (e.g.
 * `--optimize-for-size`). On the embedded bus (KAFKA_BROKERS unset) or on a private Kafka 3.9.1
 * broker (infra/local). The gateway calls the upstream simulator (its own process,
 * `start --only sim`, SOAK_SIM_LATENCY_MS, default 5 ms) through bench/fixtures/gateway-bench.yaml;
 * the feedback service gets one vote per new interaction and user, each with a real token, on
 * the in-memory vote store (REDIS_URL unset).
 *
 * The load is paced at SOAK_RATE requests/s (default 350) with at most SOAK_CONCURRENCY (default
 * 32) in flight, until both SOAK_REQUESTS (default 100,000) are sent and SOAK_SECONDS (default
 * 300; shorter only to smoke-test the harness) have passed. On a machine too busy for the rate,
 * the service gets what it can take — the achieved rate is reported — rather than a queue of
 * requests that all time out. The service's RSS (VmRSS) is sampled every
 * SOAK_SAMPLE_SECONDS (default 5), and so is the service's V8 heap (bench/lib/heap-sampler.ts,
 * preloaded into it), which tells objects kept alive from RSS that grows outside the JS heap.
 * Reported per target: requests sent / 2xx / other, the RSS and heap series, RSS after the ramp
 * (median of the samples in the stretch from SOAK_WARM_AT, default 0.3, to +10 % of the run: the
 * first minute or two fills caches, connection pools, the JIT and the bounded stores, which is
 * growth by design, not a leak), at the end (median of the last 10 %), the peak, and growth =
 * end / warm-up − 1; "flat" when |growth| ≤ 20 %. The feedback service's in-memory vote store
 * keeps up to 100,000 votes (one per interaction here): at 300 votes/s it is full after ~330 s,
 * so a run that shows its plateau needs ~10 minutes and SOAK_WARM_AT=0.5 (see the README).
 * Prints a table and the JSON, writes bench/results/soak.json (targets not run keep their last figures). Children and the broker are
 * stopped on every exit path.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSync } from 'esbuild';
import { mintFeedbackToken, subjectHash } from '@flywheel/platform';
import { Pool } from 'undici';
import { type KafkaBroker, startKafka } from '../infra/local';
import { freePorts } from '../infra/local/ports';
import { type BenchChild, startChild, waitForHttp } from './lib/child';
import { exitCleanups } from './lib/cleanup';
import { memoryOf } from './lib/procfs';
import { machineInfo, RESULTS_DIR, writeResults } from './lib/results';
import { round } from './lib/stats';

const ROOT = join(__dirname, '..');
const CLI_MAIN = join(ROOT, 'services/cli/src/main.ts');
const BUNDLE = join(ROOT, 'services/cli/dist/flywheel.js');
const TSX = process.env.SOAK_TSX === '1';
/** the gateway image's NODE_OPTIONS (Dockerfile; README "Images" says why) */
const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=256'];
/** extra Node flags for the measured service, e.g. another young generation (space-separated) */
const NODE_ARGS = (process.env.SOAK_NODE_ARGS ?? '').split(' ').filter(Boolean);
const CONFIG_FIXTURE = join(__dirname, 'fixtures/gateway-bench.yaml');
const FLAGS_FIXTURE = join(__dirname, 'fixtures/gateway-bench-flags.json');
const TARGETS = ['gateway-embedded', 'feedback-embedded', 'gateway-kafka', 'feedback-kafka'] as const;
type Target = (typeof TARGETS)[number];

// below 300 s only for a smoke run of the harness: the figures need the full 5 minutes
const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const RATE = Number(process.env.SOAK_RATE ?? 350);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 5);
const SIM_LATENCY_MS = Number(process.env.SOAK_SIM_LATENCY_MS ?? 5);
const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 100_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 32);
const TIMEOUT_MS = 10_000;
// pool connections per target: enough for CONCURRENCY in flight (undici queues the rest)
const CONNECTIONS = Math.max(128, CONCURRENCY);
const FLAT_WITHIN = 0.2;
const WARM_AT = Number(process.env.SOAK_WARM_AT ?? 0.3);
const HEAP_SAMPLER = join(__dirname, 'lib/heap-sampler.ts');

/**
 * The heap sampler as plain JavaScript (for the compiled bundle, which runs without tsx): esbuild
 * writes it once into the run's work directory.
 */
function compiledSampler(work: string): string {
  const out = join(work, 'heap-sampler.cjs');
  if (!existsSync(out))
    buildSync({
      entryPoints: [HEAP_SAMPLER],
      outfile: out,
      platform: 'node',
      format: 'cjs',
      logLevel: 'warning',
    });
  return out;
}

const { push: cleanupStep, cleanUp } = exitCleanups('the services and Kafka');

interface Sample {
  t_s: number;
  rss_mib: number;
  /** the service's V8 heap in use at its last heap sample (bench/lib/heap-sampler.ts) */
  heap_used_mib?: number;
  sent: number;
}

interface TargetResult {
  target: Target;
  /** how the service ran: the compiled bundle (as the images run it) or the sources through tsx */
  mode: 'compiled' | 'tsx';
  seconds: number;
  /** the warm-up reading is the median of the samples from this fraction of the run to +0.1 */
  warm_at: number;
  rate: number;
  achieved_rate: number;
  sent: number;
  ok: number;
  other: Record<string, number>;
  rss_warm_mib: number;
  rss_end_mib: number;
  rss_peak_mib: number;
  heap_warm_mib: number;
  heap_end_mib: number;
  growth: number;
  flat: boolean;
  samples: Sample[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

async function startCli(
  name: string,
  service: 'gateway' | 'feedback' | 'sim',
  env: NodeJS.ProcessEnv,
  work: string,
): Promise<BenchChild> {
  const heapLog = service === 'sim' ? undefined : heapLogOf(work, name);
  const child = await startChild({
    name,
    command: process.execPath,
    args: [
      ...(service === 'gateway' ? GATEWAY_NODE_FLAGS : []),
      ...(service === 'sim' ? [] : NODE_ARGS),
      ...(TSX ? ['--import', 'tsx'] : []),
      ...(heapLog ? (TSX ? ['--import', HEAP_SAMPLER] : ['--require', compiledSampler(work)]) : []),
      TSX ? CLI_MAIN : BUNDLE,
      'start',
      '--only',
      service,
    ],
    env: {
      ...process.env,
      KAFKA_BROKERS: undefined,
      REDIS_URL: undefined,
      SOAK_HEAP_LOG: heapLog,
      SOAK_SAMPLE_SECONDS: String(SAMPLE_SECONDS),
      ...env,
    },
    cwd: ROOT,
    logFile: join(work, `${name}.log`),
  });
  cleanupStep(() => child.stop());
  return child;
}

function heapLogOf(work: string, name: string): string {
  return join(work, `${name}.heap.jsonl`);
}

/** The service's last heap reading (MiB in use), or undefined before its first one. */
function lastHeapUsed(file: string): number | undefined {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return (JSON.parse(lines.at(-1)!) as { heap_used_mib: number }).heap_used_mib;
  } catch {
    return undefined;
  }
}

/** Starts the target's service (and the simulator for the gateway); returns how to send one request. */
async function startTarget(
  target: Target,
  work: string,
  brokers: string | undefined,
): Promise<{ child: BenchChild; pool: Pool; request: (n: number) => Parameters<Pool['request']>[0] }> {
  const [port, simPort] = await freePorts(2);
  const base = { FLYWHEEL_DATA_DIR: join(work, target), ...(brokers ? { KAFKA_BROKERS: brokers } : {}) };
  if (target.startsWith('gateway')) {
    const sim = await startCli(
      `${target}-sim`,
      'sim',
      { SIM_PORT: String(simPort), SIM_HOST: '127.0.0.1', SIM_LATENCY_MS: String(SIM_LATENCY_MS) },
      work,
    );
    await waitForHttp(sim, `http://127.0.0.1:${simPort}/healthz`, 60_000);
    const config = join(work, `${target}.yaml`);
    writeFileSync(
      config,
      readFileSync(CONFIG_FIXTURE, 'utf8').replaceAll(
        'http://127.0.0.1:8090/v1',
        `http://127.0.0.1:${simPort}/v1`,
      ),
    );
    const key = `soak-${randomBytes(12).toString('hex')}`;
    const child = await startCli(
      target,
      'gateway',
      {
        ...base,
        GATEWAY_PORT: String(port),
        GATEWAY_HOST: '127.0.0.1',
        FLYWHEEL_API_KEYS: key,
        FLYWHEEL_ADMIN_TOKEN: randomBytes(24).toString('hex'),
        FLYWHEEL_FEEDBACK_SECRET: randomBytes(48).toString('base64'),
        FLYWHEEL_CONFIG: config,
        FLAGS_FILE: FLAGS_FIXTURE,
        SIM_API_KEY: 'sim-soak-key',
      },
      work,
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(child, `${url}/healthz`, 120_000);
    const pool = new Pool(url, { connections: CONNECTIONS });
    cleanupStep(() => pool.close());
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    return {
      child,
      pool,
      request: (n) => ({
        path: '/v1/chat/completions',
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: 'route:bench',
          user: `soak-user-${n % 5000}`,
          messages: [{ role: 'user', content: `Soak request ${n}: say hello in one short sentence.` }],
        }),
      }),
    };
  }
  const secret = randomBytes(48).toString('base64');
  // the service serves the widget bundle; the soak never asks for it, so any file will do
  const widget = join(work, 'widget.js');
  writeFileSync(widget, '/* soak */');
  const child = await startCli(
    target,
    'feedback',
    {
      ...base,
      FEEDBACK_PORT: String(port),
      FEEDBACK_HOST: '127.0.0.1',
      FLYWHEEL_FEEDBACK_SECRET: secret,
      FEEDBACK_DEMO: 'off',
      FEEDBACK_WIDGET_FILE: widget,
      FEEDBACK_RATE_IP_POINTS: '1000000000',
      FEEDBACK_RATE_SUBJECT_POINTS: '1000000000',
    },
    work,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/healthz`, 120_000);
  const pool = new Pool(url, { connections: CONNECTIONS });
  cleanupStep(() => pool.close());
  const run = randomUUID().slice(0, 8);
  return {
    child,
    pool,
    request: (n) => {
      const interactionId = `soak-${run}-${n}`;
      const token = mintFeedbackToken(
        {
          interaction_id: interactionId,
          route: 'bench',
          variant: 'control',
          sub: subjectHash(`soak-user-${run}-${n}`, secret),
          exp: Math.floor(Date.now() / 1000) + 3600,
        },
        secret,
      );
      return {
        path: '/v1/feedback',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ interaction_id: interactionId, token, rating: n % 3 ? 'up' : 'down' }),
      };
    },
  };
}

async function soak(target: Target, work: string, brokers: string | undefined): Promise<TargetResult> {
  const { child, pool, request } = await startTarget(target, work, brokers);
  console.log(
    `${target} (${TSX ? 'tsx' : 'compiled'}): pid ${child.pid}, ${REQUESTS} requests at up to ${RATE} req/s (${CONCURRENCY} in flight), at least ${SECONDS} s`,
  );
  // warm-up: JIT, connections, the relay's producer
  await Promise.all(
    Array.from({ length: 200 }, (_, i) => pool.request(request(-1 - i)).then((r) => r.body.dump())),
  );
  let sent = 0;
  let ok = 0;
  const other: Record<string, number> = {};
  const samples: Sample[] = [];
  const t0 = performance.now();
  const heapLog = heapLogOf(work, target);
  const sample = () => {
    const m = memoryOf(child.pid);
    if (!m) return;
    const heap = lastHeapUsed(heapLog);
    samples.push({
      t_s: round((performance.now() - t0) / 1000, 1),
      rss_mib: m.rss_mib,
      ...(heap === undefined ? {} : { heap_used_mib: heap }),
      sent,
    });
  };
  sample();
  const timer = setInterval(() => {
    sample();
    const last = samples.at(-1);
    if (last && samples.length % 6 === 0) {
      console.log(
        `  ${target} t=${last.t_s}s sent=${sent} ok=${ok} rss=${last.rss_mib} MiB heap=${last.heap_used_mib ?? '?'} MiB`,
      );
    }
  }, SAMPLE_SECONDS * 1000);
  // Paced at RATE with at most CONCURRENCY in flight: on a machine too busy for RATE the service
  // gets what it can take (the achieved rate is reported) instead of a queue that times out.
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / RATE;
  for (let i = 0; sent < REQUESTS || performance.now() - t0 < SECONDS * 1000; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
    sent++;
    const p: Promise<void> = pool
      .request({ ...request(i), signal: AbortSignal.timeout(TIMEOUT_MS) })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else other[res.statusCode] = (other[res.statusCode] ?? 0) + 1;
      })
      .catch((err: Error) => {
        const k = err.name === 'TimeoutError' ? 'timeout' : 'network';
        other[k] = (other[k] ?? 0) + 1;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  sample();
  clearInterval(timer);
  await child.stop();

  const duration = samples.at(-1)?.t_s ?? SECONDS;
  const within = (from: number, to: number, field: 'rss_mib' | 'heap_used_mib' = 'rss_mib') =>
    samples
      .filter((s) => s.t_s >= duration * from && s.t_s <= duration * to && s[field] !== undefined)
      .map((s) => s[field]!);
  const warm = median(within(WARM_AT, WARM_AT + 0.1));
  const end = median(within(0.9, 1));
  const growth = round(end / warm - 1, 3);
  return {
    target,
    mode: TSX ? 'tsx' : 'compiled',
    seconds: duration,
    warm_at: WARM_AT,
    rate: RATE,
    achieved_rate: round(sent / duration, 1),
    sent,
    ok,
    other,
    rss_warm_mib: warm,
    rss_end_mib: end,
    rss_peak_mib: Math.max(...samples.map((s) => s.rss_mib)),
    heap_warm_mib: median(within(WARM_AT, WARM_AT + 0.1, 'heap_used_mib')),
    heap_end_mib: median(within(0.9, 1, 'heap_used_mib')),
    growth,
    flat: Math.abs(growth) <= FLAT_WITHIN,
    samples,
  };
}

function previousResults(): (TargetResult & { machine: unknown })[] {
  try {
    const old = JSON.parse(readFileSync(join(RESULTS_DIR, 'soak.json'), 'utf8')) as {
      machine?: unknown;
      results?: (TargetResult & { machine?: unknown })[];
    };
    return (old.results ?? []).map((r) => ({ ...r, machine: r.machine ?? old.machine }));
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } }, strict: true });
  const chosen = (values.only ?? TARGETS.join(',')).split(',').map((s) => s.trim()) as Target[];
  for (const t of chosen)
    if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (one of ${TARGETS.join(', ')})`);
  if (!TSX && !existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  const work = mkdtempSync(join(tmpdir(), 'bench-soak-'));
  let keepLogs = false;
  cleanupStep(async () => {
    if (keepLogs) console.log(`service logs kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });
  let broker: KafkaBroker | undefined;
  const results: TargetResult[] = [];
  for (const target of chosen) {
    let brokers: string | undefined;
    if (target.endsWith('kafka')) {
      if (!process.env.KAFKA_BROKERS && !broker) {
        broker = await startKafka();
        cleanupStep(() => broker!.stop());
      }
      brokers = process.env.KAFKA_BROKERS ?? broker!.brokers;
    }
    const r = await soak(target, work, brokers);
    results.push(r);
    if (!r.flat || r.ok < r.sent) keepLogs = true;
  }
  console.log(
    '\ntarget              sent      2xx     other  rss warm  rss end  peak   growth  flat  heap warm→end',
  );
  for (const r of results) {
    console.log(
      `${r.target.padEnd(18)} ${String(r.sent).padStart(7)} ${String(r.ok).padStart(8)} ${String(
        Object.values(r.other).reduce((a, b) => a + b, 0),
      ).padStart(9)}  ${String(r.rss_warm_mib).padStart(8)} ${String(r.rss_end_mib).padStart(8)} ${String(
        r.rss_peak_mib,
      ).padStart(5)}  ${(r.growth * 100).toFixed(1).padStart(6)} %  ${r.flat ? 'yes' : 'NO '}   ${
        r.heap_warm_mib
      }→${r.heap_end_mib}`,
    );
  }
  // targets not run this time keep their last figures (each with the machine it ran on)
  const machine = machineInfo();
  const kept = previousResults().filter((p) => !results.some((r) => r.target === p.target));
  const out = {
    bench: 'soak',
    flat_within: FLAT_WITHIN,
    warm_at: WARM_AT,
    results: [...kept, ...results.map((r) => ({ ...r, machine, finished_at: new Date().toISOString() }))],
  };
  console.log(
    JSON.stringify(
      out.results.map(({ samples: _s, ...r }) => r),
      null,
      2,
    ),
  );
  console.log(`written to ${writeResults('soak', out)}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanUp());
