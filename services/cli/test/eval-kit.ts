import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalSetCase } from '@flywheel/contracts';
import { createCuratorApp, parseCuratorEnv } from '@flywheel/curator';
import { createFeedbackApp, parseFeedbackEnv } from '@flywheel/feedback';
import { createGatewayApp, parseGatewayEnv } from '@flywheel/gateway';
import { createEventBus, parseConfig } from '@flywheel/platform';
import { createSimServer, type SimServer } from '@flywheel/upstream-sim';
import { createTestDatabase } from '../../../test-support/postgres';

/**
 * The eval runner's world in a test: the upstream simulator, the real gateway on a free port
 * (embedded event bus) with a test flywheel.yaml written to a temp dir, and the real CLI run as
 * a child process (`node --import tsx services/cli/src/main.ts …`).
 *
 * Route `support` (chat cases): variant `control` echoes the last user message (sim-echo),
 * `candidate` answers the simulator's canned text (sim-ok), `coin` alternates between the two
 * (sim-coin-50), which makes a case that checks for the echo pass every other run.
 * Route `triage` (template-vars cases): a prompt and an output_schema, answered by sim-ok with a
 * schema-valid instance.
 *
 * With `loop: true` the feedback service and the curator (on a fresh Postgres database from the
 * integration globalSetup) join, all on one embedded event bus as in `flywheel start`: a down
 * vote on a gateway answer becomes a curator case that the test can accept.
 */

export const ADMIN_TOKEN = 'eval-test-admin-token-0123';
export const API_KEY = 'eval-test-key';
const FEEDBACK_SECRET = 'eval-test-feedback-secret-0123456789abcdef';
const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'services', 'cli', 'src', 'main.ts');

export const TRIAGE_SCHEMA = {
  type: 'object',
  properties: { priority: { enum: ['low', 'high'] }, summary: { type: 'string' } },
  required: ['priority', 'summary'],
  additionalProperties: false,
};

const CONFIG = `
providers:
  sim:
    kind: openai
    base_url: '{{SIM_URL}}/v1'
    api_key_env: SIM_API_KEY
    timeout_ms: 5000
models:
  echo: { provider: sim, model: sim-echo }
  ok: { provider: sim, model: sim-ok }
  coin: { provider: sim, model: sim-coin-50 }
routes:
  support:
    flag: eval-static
    default_variant: control
    variants:
      control: { chain: [echo] }
      candidate: { chain: [ok] }
      coin: { chain: [coin] }
  triage:
    flag: eval-static
    default_variant: control
    variants:
      control:
        chain: [ok]
        prompt: 'Triage this ticket: {{ticket}}'
        output_schema: ${JSON.stringify(TRIAGE_SCHEMA)}
feedback:
  token_ttl_s: 3600
`;

const FLAGS = {
  flags: {
    'eval-static': { state: 'ENABLED', variants: { control: 'control' }, defaultVariant: 'control' },
  },
};

export interface EvalWorld {
  dir: string;
  configFile: string;
  gatewayUrl: string;
  /** with `loop: true` */
  feedbackUrl?: string;
  curatorUrl?: string;
  sim: SimServer;
  /** writes cases as JSONL under the temp dir; returns the path */
  writeCases(name: string, cases: EvalSetCase[]): string;
  path(name: string): string;
  close(): Promise<void>;
}

export async function startEvalWorld({ loop = false }: { loop?: boolean } = {}): Promise<EvalWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-eval-test-'));
  const stops: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const sim = await createSimServer();
    stops.push(() => sim.close());
    const configFile = join(dir, 'flywheel.yaml');
    const configText = CONFIG.replaceAll('{{SIM_URL}}', sim.url);
    writeFileSync(configFile, configText);
    const config = parseConfig(configText, configFile);
    const flagsFile = join(dir, 'flags.json');
    writeFileSync(flagsFile, JSON.stringify(FLAGS));
    const bus = await createEventBus({ source: 'eval-test', spoolDir: join(dir, 'spool') });
    stops.push(() => bus.close());

    const gateway = await createGatewayApp({
      config,
      bus,
      env: parseGatewayEnv({
        GATEWAY_PORT: '0',
        GATEWAY_HOST: '127.0.0.1',
        FLYWHEEL_API_KEYS: API_KEY,
        FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
        FLYWHEEL_FEEDBACK_SECRET: FEEDBACK_SECRET,
        FLAGS_FILE: flagsFile,
        FLYWHEEL_DATA_DIR: dir,
      }),
      providerEnv: { SIM_API_KEY: 'sk-sim' },
      resilience: { breaker: { consecutiveFailures: 10_000 }, backoff: { baseMs: 5, maxMs: 20 } },
    });
    stops.push(() => gateway.close());
    const world: EvalWorld = {
      dir,
      configFile,
      gatewayUrl: gateway.url,
      sim,
      path: (name) => join(dir, name),
      writeCases(name, cases) {
        const file = join(dir, name);
        writeFileSync(file, cases.map((c) => JSON.stringify(c)).join('\n') + '\n');
        return file;
      },
      close,
    };
    if (!loop) return world;

    const feedback = await createFeedbackApp({
      env: parseFeedbackEnv({
        FEEDBACK_PORT: '0',
        FEEDBACK_HOST: '127.0.0.1',
        FLYWHEEL_FEEDBACK_SECRET: FEEDBACK_SECRET,
        FLYWHEEL_DATA_DIR: dir,
        FEEDBACK_DEMO: 'off',
      }),
      config: config.feedback,
      bus,
    });
    stops.push(() => feedback.close());
    const database = await createTestDatabase('eval');
    stops.push(() => database.drop());
    const databaseUrl = database.url;
    const curator = await createCuratorApp({
      env: parseCuratorEnv({
        CURATOR_PORT: '0',
        CURATOR_HOST: '127.0.0.1',
        FLYWHEEL_ADMIN_TOKEN: ADMIN_TOKEN,
        DATABASE_URL: databaseUrl,
        FLYWHEEL_DATA_DIR: dir,
        CURATOR_GROUP_ID: `eval-test-${randomBytes(4).toString('hex')}`,
      }),
      config,
      bus,
    });
    stops.push(() => curator.close());
    return { ...world, feedbackUrl: feedback.url, curatorUrl: curator.url };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A case of `route` as a committed set holds it. */
export function evalCase(
  route: string,
  id: string,
  input: EvalSetCase['input'],
  assertions: EvalSetCase['assertions'],
): EvalSetCase {
  return {
    case_id: id,
    route,
    input,
    assertions,
    variant: 'control',
    model: 'echo',
    count: 1,
    reasons: ['wrong'],
    lineage: { interaction_ids: [`i-${id}`], feedback_ids: [`f-${id}`] },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `flywheel` CLI; `env` is added to this process's environment. `args` as one
 * string is split on whitespace (the test's temp paths have none).
 */
export function runCli(args: string | string[], env: Record<string, string>): Promise<CliResult> {
  const argv = typeof args === 'string' ? args.trim().split(/\s+/) : args;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...argv], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
