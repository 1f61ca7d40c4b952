/**
 * Start-to-ready time and idle memory of one service started the way a container starts it,
 * from the TypeScript sources through tsx (`node --import tsx services/cli/src/main.ts`, what
 * `npm start` runs) and from the compiled bundle (`node services/cli/dist/flywheel.js`, what the
 * images run; `npm run build` first):
 *
 *   npm run build && npm run bench:startup
 *
 * Per round and service the two ways run back to back (interleaved, so load from other work on
 * the machine hits both alike): spawn → first `GET /readyz` 200 (polled every 10 ms), then the
 * RSS after BENCH_STARTUP_IDLE_MS (default 5,000) of idling. Rounds: BENCH_STARTUP_ROUNDS
 * (default 3); medians are reported. Embedded bus, no traffic. Writes bench/results/startup.json.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../infra/local/ports';
import { type BenchChild, startChild } from './lib/child';
import { memoryOf } from './lib/procfs';
import { machineInfo, writeResults } from './lib/results';
import { round } from './lib/stats';

const ROOT = join(__dirname, '..');
const SOURCES = join(ROOT, 'services/cli/src/main.ts');
const BUNDLE = join(ROOT, 'services/cli/dist/flywheel.js');
const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 3);
const IDLE_MS = Number(process.env.BENCH_STARTUP_IDLE_MS ?? 5_000);
const SERVICES = ['gateway', 'feedback'] as const;
const MODES = { tsx: ['--import', 'tsx', SOURCES], compiled: [BUNDLE] } as const;
type Service = (typeof SERVICES)[number];
type Mode = keyof typeof MODES;

interface Sample {
  ready_ms: number;
  idle_rss_mib: number;
}

function serviceEnv(service: Service, port: number, dir: string): NodeJS.ProcessEnv {
  const secret = randomBytes(48).toString('base64');
  const common = { FLYWHEEL_DATA_DIR: dir, FLYWHEEL_FEEDBACK_SECRET: secret, LOG_LEVEL: 'warn' };
  if (service === 'gateway') {
    return {
      ...common,
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: '127.0.0.1',
      FLYWHEEL_API_KEYS: `bench-${randomBytes(12).toString('hex')}`,
      SIM_API_KEY: 'sim-bench',
    };
  }
  return { ...common, FEEDBACK_PORT: String(port), FEEDBACK_HOST: '127.0.0.1' };
}

async function readyAfter(child: BenchChild, url: string, startedAt: number): Promise<number> {
  let exit: string | undefined;
  void child.exited.then((code) => (exit = code));
  while (Date.now() - startedAt < 180_000) {
    if (exit !== undefined) throw new Error(`${child.name} exited (${exit}):\n${child.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) return performance.now();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${child.name} not ready within 180 s:\n${child.tail()}`);
}

async function measure(service: Service, mode: Mode, work: string, n: number): Promise<Sample> {
  const [port] = await freePorts(1);
  const dir = join(work, `${service}-${mode}-${n}`);
  const spawnedAt = performance.now();
  const child = await startChild({
    name: `${service}-${mode}`,
    command: process.execPath,
    args: [...MODES[mode], 'start', '--only', service],
    env: { PATH: process.env.PATH, ...serviceEnv(service, port as number, dir) },
    cwd: ROOT,
    logFile: join(work, `${service}-${mode}-${n}.log`),
  });
  try {
    const readyAt = await readyAfter(child, `http://127.0.0.1:${port}/readyz`, Date.now());
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const memory = memoryOf(child.pid);
    if (!memory) throw new Error(`${child.name} is gone`);
    return { ready_ms: round(readyAt - spawnedAt, 0), idle_rss_mib: memory.rss_mib };
  } finally {
    await child.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  const work = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const samples: Record<string, Sample[]> = {};
  try {
    for (let n = 0; n < ROUNDS; n++) {
      for (const service of SERVICES) {
        // alternate which way goes first, so neither always starts on a warmer page cache
        const order: Mode[] = n % 2 === 0 ? ['tsx', 'compiled'] : ['compiled', 'tsx'];
        for (const mode of order) {
          const s = await measure(service, mode, work, n);
          (samples[`${service}/${mode}`] ??= []).push(s);
          console.log(
            `round ${n + 1} ${service} ${mode}: ready ${s.ready_ms} ms, idle RSS ${s.idle_rss_mib} MiB`,
          );
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const results: Record<string, unknown> = {};
  console.log('\nmedians                 ready (ms)   idle RSS (MiB)');
  for (const service of SERVICES) {
    const row: Record<string, unknown> = {};
    for (const mode of Object.keys(MODES) as Mode[]) {
      const xs = samples[`${service}/${mode}`] ?? [];
      const m = {
        ready_ms: median(xs.map((x) => x.ready_ms)),
        idle_rss_mib: median(xs.map((x) => x.idle_rss_mib)),
      };
      row[mode] = { ...m, samples: xs };
      console.log(
        `${`${service} ${mode}`.padEnd(24)}${String(m.ready_ms).padStart(10)}   ${String(m.idle_rss_mib).padStart(14)}`,
      );
    }
    const tsx = row.tsx as { ready_ms: number; idle_rss_mib: number };
    const compiled = row.compiled as { ready_ms: number; idle_rss_mib: number };
    row.compiled_vs_tsx = {
      ready: round(compiled.ready_ms / tsx.ready_ms, 2),
      idle_rss: round(compiled.idle_rss_mib / tsx.idle_rss_mib, 2),
    };
    results[service] = row;
  }
  const path = writeResults('startup', {
    measured_at: new Date().toISOString(),
    machine: machineInfo(),
    rounds: ROUNDS,
    idle_ms: IDLE_MS,
    services: results,
  });
  console.log(`\nwrote ${path}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
