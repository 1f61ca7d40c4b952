import { randomUUID } from 'node:crypto';
import type { AssertionResult, EvalCaseResult, EvalRun, EvalSetCase } from '@flywheel/contracts';
import type { Answer } from './assertions';
import { InvalidOutputError } from './gateway-client';
import { caseResult, type RunResult, summarize } from './outcome';
import { UsageError } from './usage-error';

/**
 * Runs every case `repeat` times against the gateway, at most `concurrency` calls at a time
 * (the runs of all cases share one pool, so a small set with many repeats still runs in
 * parallel), and assembles the {@link EvalRun}. A {@link UsageError} (unknown route or variant,
 * refused token) stops the run: no new call starts, and it is rethrown once the calls in flight
 * have finished.
 */

export interface EvalPlan {
  route: string;
  variant: string;
  repeat: number;
  caseThreshold: number;
  minPassRate: number;
  concurrency: number;
}

export interface RunListener {
  /** once, before the first call */
  start(cases: number, runs: number): void;
  /** after every run */
  run(): void;
  /** when all runs of a case are done */
  caseDone(result: EvalCaseResult): void;
  stop(): void;
}

export interface RunnerDeps {
  /** a fresh answer of the variant to the case's input */
  answer(evalCase: EvalSetCase): Promise<Answer>;
  /** the case's assertions checked against an answer */
  check(evalCase: EvalSetCase, answer: Answer): Promise<AssertionResult[]>;
  listener: RunListener;
  now?: () => Date;
}

export async function runEval(
  cases: readonly EvalSetCase[],
  plan: EvalPlan,
  deps: RunnerDeps,
  previous?: Pick<EvalRun, 'results'>,
): Promise<EvalRun> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const runs = new Map<string, RunResult[]>(cases.map((c) => [c.case_id, []]));
  const done = new Map<string, EvalCaseResult>();
  const tasks = cases.flatMap((c) => Array.from({ length: plan.repeat }, () => c));

  deps.listener.start(cases.length, tasks.length);
  try {
    await pool(tasks, plan.concurrency, async (evalCase) => {
      const result = await runOnce(evalCase, deps);
      const list = runs.get(evalCase.case_id) as RunResult[];
      list.push(result);
      deps.listener.run();
      if (list.length === plan.repeat) {
        const summary = caseResult(evalCase.case_id, list, plan.caseThreshold);
        done.set(evalCase.case_id, summary);
        deps.listener.caseDone(summary);
      }
    });
  } finally {
    deps.listener.stop();
  }

  const results = cases.map((c) => done.get(c.case_id) as EvalCaseResult);
  return {
    id: randomUUID(),
    route: plan.route,
    variant: plan.variant,
    started_at: startedAt.toISOString(),
    finished_at: now().toISOString(),
    repeat: plan.repeat,
    min_pass_rate: plan.minPassRate,
    case_threshold: plan.caseThreshold,
    ...summarize(results, plan.minPassRate, previous),
    results,
  };
}

async function runOnce(evalCase: EvalSetCase, deps: RunnerDeps): Promise<RunResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let answer: Answer;
  let latencyMs: number;
  try {
    answer = await deps.answer(evalCase);
    latencyMs = elapsed();
  } catch (err) {
    if (err instanceof InvalidOutputError) {
      const assertions = [{ type: 'output_schema', pass: false, message: err.message }];
      return { kind: 'fail', assertions, output: null, latencyMs: elapsed() };
    }
    return failedRun(err, elapsed());
  }
  try {
    const assertions = await deps.check(evalCase, answer);
    const kind = assertions.every((a) => a.pass) ? 'pass' : 'fail';
    return { kind, assertions, output: answer.text, latencyMs };
  } catch (err) {
    return failedRun(err, latencyMs);
  }
}

function failedRun(err: unknown, latencyMs: number): RunResult {
  if (err instanceof UsageError) throw err;
  return { kind: 'error', error: err instanceof Error ? err.message : String(err), latencyMs };
}

/** Runs `fn` on every item, `concurrency` at a time; after the first rejection no new item starts. */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure) throw failure.error;
}
