import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EvalRun, EvalSetCase } from '@flywheel/contracts';
import {
  CuratorClient,
  type EvalPlan,
  GatewayClient,
  gatewayRunnerDeps,
  runEval,
  UsageError,
} from '@flywheel/platform/eval';
import { z } from 'zod';
import { CURATOR_HINT } from '../sets/curator-flags';
import { readBaseline, readCasesFile, variantOutputSchema } from './eval-inputs';
import { baseUrl, type CommandIo, numberFlag, parseCommandEnv, parseFlags, requiredFlag } from './flags';
import { junitReport } from './junit-report';
import { markdownReport } from './markdown-report';
import { createProgress } from './progress';
import { consoleSummary } from './summary-text';

export const EVAL_RUN_USAGE = `usage: flywheel eval run --route R --variant V [options]

Runs the route's accepted eval cases through the gateway, forcing variant V, and gates on the result.

cases (one of):
  --curator URL          fetch them from the curator (default; env FLYWHEEL_CURATOR_URL, http://127.0.0.1:8082)
  --cases FILE           read them from a committed set, e.g. evals/R.jsonl (no curator needed)

options:
  --gateway URL          gateway (env FLYWHEEL_GATEWAY_URL, default http://127.0.0.1:8080)
  --repeat N             runs per case (default 1)
  --case-threshold X     share of passing runs for "flaky" instead of "fail" (default 0.5)
  --min-pass-rate X      gate: minimum (passed + flaky) / total (default 0.9)
  --concurrency N        gateway calls at a time (default 4)
  --judge-model M        model id for llm-judge assertions without one (env FLYWHEEL_JUDGE_MODEL)
  --baseline FILE        previous run (--json output) for the regression rule; default with the
                         curator: its latest run of the route
  --report FILE          write a Markdown report
  --junit FILE           write a JUnit XML report
  --json FILE            write the run (EvalRun JSON)
  --store / --no-store   store the run in the curator (default: store when cases came from it)
  --timeout-ms N         per gateway or curator call (default 120000)

environment: FLYWHEEL_ADMIN_TOKEN (required: the curator's token, and the gateway admin key, which
may force a variant, unless GATEWAY_ADMIN_TOKEN is set), GATEWAY_ADMIN_TOKEN, FLYWHEEL_CONFIG (flywheel.yaml, for json-schema assertions without a schema).

exit: 0 gate passed; 1 gate failed (pass rate below the minimum, or a case that passed in the
previous run of the route fails now) or the run could not finish; 2 usage error.
`;

const Env = z.object({
  FLYWHEEL_ADMIN_TOKEN: z
    .string({ error: 'required: the gateway admin key (it may force a variant)' })
    .min(1),
  /** the gateway's own admin token when it differs from the curator's */
  GATEWAY_ADMIN_TOKEN: z.string().min(1).optional(),
  FLYWHEEL_GATEWAY_URL: z.string().default('http://127.0.0.1:8080'),
  FLYWHEEL_CURATOR_URL: z.string().default('http://127.0.0.1:8082'),
  FLYWHEEL_JUDGE_MODEL: z.string().optional(),
  FLYWHEEL_CONFIG: z.string().optional(),
});

interface EvalRunOptions {
  plan: EvalPlan;
  casesFile?: string;
  curatorUrl: string;
  gatewayUrl: string;
  token: string;
  /** the gateway admin token (GATEWAY_ADMIN_TOKEN, else FLYWHEEL_ADMIN_TOKEN) */
  gatewayToken: string;
  judgeModel?: string;
  configPath?: string;
  baseline?: string;
  report?: string;
  junit?: string;
  json?: string;
  store?: boolean;
  timeoutMs: number;
}

function parseOptions(args: string[], env: NodeJS.ProcessEnv): EvalRunOptions | 'help' {
  const v = parseFlags(args, {
    route: { type: 'string' },
    variant: { type: 'string' },
    repeat: { type: 'string' },
    'case-threshold': { type: 'string' },
    'min-pass-rate': { type: 'string' },
    concurrency: { type: 'string' },
    cases: { type: 'string' },
    curator: { type: 'string' },
    gateway: { type: 'string' },
    'judge-model': { type: 'string' },
    baseline: { type: 'string' },
    report: { type: 'string' },
    junit: { type: 'string' },
    json: { type: 'string' },
    store: { type: 'boolean' },
    'no-store': { type: 'boolean' },
    'timeout-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return 'help';
  if (v.store && v['no-store']) throw new UsageError('--store and --no-store exclude each other');
  const e = parseCommandEnv(Env, env);
  return {
    plan: {
      route: requiredFlag(v.route, 'route'),
      variant: requiredFlag(v.variant, 'variant'),
      repeat: numberFlag(v.repeat, 'repeat', { min: 1, max: 100, integer: true, fallback: 1 }),
      caseThreshold: numberFlag(v['case-threshold'], 'case-threshold', { min: 0, max: 1, fallback: 0.5 }),
      minPassRate: numberFlag(v['min-pass-rate'], 'min-pass-rate', { min: 0, max: 1, fallback: 0.9 }),
      concurrency: numberFlag(v.concurrency, 'concurrency', { min: 1, max: 64, integer: true, fallback: 4 }),
    },
    casesFile: v.cases,
    curatorUrl: baseUrl(
      v.curator ?? e.FLYWHEEL_CURATOR_URL,
      v.curator ? '--curator' : 'FLYWHEEL_CURATOR_URL',
    ),
    gatewayUrl: baseUrl(
      v.gateway ?? e.FLYWHEEL_GATEWAY_URL,
      v.gateway ? '--gateway' : 'FLYWHEEL_GATEWAY_URL',
    ),
    token: e.FLYWHEEL_ADMIN_TOKEN,
    gatewayToken: e.GATEWAY_ADMIN_TOKEN ?? e.FLYWHEEL_ADMIN_TOKEN,
    judgeModel: v['judge-model'] ?? e.FLYWHEEL_JUDGE_MODEL,
    configPath: e.FLYWHEEL_CONFIG,
    baseline: v.baseline,
    report: v.report,
    junit: v.junit,
    json: v.json,
    store: v.store ? true : v['no-store'] ? false : undefined,
    timeoutMs: numberFlag(v['timeout-ms'], 'timeout-ms', {
      min: 100,
      max: 3_600_000,
      integer: true,
      fallback: 120_000,
    }),
  };
}

/** `flywheel eval run`: resolves with the exit code (0 gate passed, 1 gate failed); usage errors throw. */
export async function evalRunCommand(args: string[], io: CommandIo): Promise<number> {
  const options = parseOptions(args, io.env);
  if (options === 'help') {
    io.stdout.write(EVAL_RUN_USAGE);
    return 0;
  }
  const { plan } = options;
  const warn = (line: string) => io.stderr.write(`flywheel eval: ${line}\n`);
  const curator = new CuratorClient({
    url: options.curatorUrl,
    token: options.token,
    timeoutMs: options.timeoutMs,
    unreachableHint: CURATOR_HINT,
  });
  const fromCurator = options.casesFile === undefined;

  const cases = fromCurator
    ? await curator.cases(plan.route)
    : readCasesFile(options.casesFile as string, plan.route);
  checkJudgeModels(cases, options.judgeModel);
  const variantSchema = needsVariantSchema(cases)
    ? variantOutputSchema(plan.route, plan.variant, options.configPath)
    : undefined;

  const notes: string[] = [];
  let previous: EvalRun | undefined;
  if (options.baseline !== undefined) {
    previous = readBaseline(options.baseline);
    if (previous.route !== plan.route)
      throw new UsageError(
        `the baseline ${options.baseline} is a run of route ${previous.route}, not ${plan.route}`,
      );
  } else if (fromCurator) {
    previous = await curator.latestRun(plan.route);
    if (!previous) notes.push(`no previous run of route ${plan.route} in the curator: no regression check`);
  } else {
    notes.push('no --baseline: no regression check, only the pass rate gates');
  }
  if (previous)
    notes.push(
      `regressions checked against run ${previous.id} (${previous.variant}, ${previous.started_at})`,
    );
  if (cases.length === 0) {
    const none = `NO CASES: route ${plan.route} has no accepted eval cases${fromCurator ? ' in the curator' : ` in ${options.casesFile}`}; nothing was checked`;
    warn(none);
    notes.push(none);
  }

  const gateway = new GatewayClient({
    url: options.gatewayUrl,
    token: options.gatewayToken,
    timeoutMs: options.timeoutMs,
  });
  const run = await runEval(
    cases,
    plan,
    gatewayRunnerDeps(gateway, {
      route: plan.route,
      variant: plan.variant,
      judgeModel: options.judgeModel,
      variantSchema,
      listener: createProgress(io.stderr, `eval ${plan.route}/${plan.variant}`),
    }),
    previous,
  );

  if (options.store ?? fromCurator) {
    try {
      await curator.storeRun(run);
      notes.push(`stored as run ${run.id} in the curator`);
    } catch (err) {
      warn(`the run was not stored: ${(err as Error).message}`);
    }
  }
  if (options.report) writeReport(options.report, markdownReport(run, notes));
  if (options.junit) writeReport(options.junit, junitReport(run));
  if (options.json) writeReport(options.json, `${JSON.stringify(run, null, 2)}\n`);
  io.stdout.write(consoleSummary(run, notes));
  return run.gate === 'pass' ? 0 : 1;
}

function checkJudgeModels(cases: readonly EvalSetCase[], judgeModel: string | undefined): void {
  if (judgeModel) return;
  const needing = cases.filter((c) => c.assertions.some((a) => a.type === 'llm-judge' && !a.model));
  if (needing.length > 0) {
    const ids = needing
      .slice(0, 3)
      .map((c) => c.case_id)
      .join(', ');
    throw new UsageError(
      `llm-judge assertions without a model (cases ${ids}${needing.length > 3 ? ', …' : ''}) need --judge-model or FLYWHEEL_JUDGE_MODEL`,
    );
  }
}

function needsVariantSchema(cases: readonly EvalSetCase[]): boolean {
  return cases.some((c) => c.assertions.some((a) => a.type === 'json-schema' && a.schema === undefined));
}

function writeReport(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
