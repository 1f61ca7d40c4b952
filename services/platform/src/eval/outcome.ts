import type { AssertionResult, EvalCaseResult, EvalRun } from '@flywheel/contracts';

/**
 * How runs become a case outcome and case outcomes a gate decision. Pure.
 *
 * A case runs `repeat` times. Every run passed → `pass`; some passed, and passes / runs ≥ the
 * case threshold → `flaky` (reported, counted as passing); fewer → `fail`; any run that got no
 * answer to check (transport error, 5xx after the gateway's own retries, judge failure) →
 * `error` (not passing, and never a regression: it says nothing about the model).
 */

/** One run of a case: its assertions checked against an answer, or why there was none to check. */
export type RunResult =
  | { kind: 'pass' | 'fail'; assertions: AssertionResult[]; output: string | null; latencyMs: number }
  | { kind: 'error'; error: string; latencyMs: number };

/** Outputs kept in a run record (and its reports) are cut here. */
export const MAX_OUTPUT_CHARS = 4000;

export function caseResult(
  caseId: string,
  runs: readonly RunResult[],
  caseThreshold: number,
): EvalCaseResult {
  if (runs.length === 0) throw new Error(`case ${caseId}: no runs`);
  const errors = runs.filter((r) => r.kind === 'error');
  const checked = runs.filter((r) => r.kind !== 'error');
  const passes = checked.filter((r) => r.kind === 'pass').length;
  const shown = checked.findLast((r) => r.kind === 'fail') ?? checked.at(-1);
  const latency = runs.reduce((sum, r) => sum + r.latencyMs, 0) / runs.length;
  const result: EvalCaseResult = {
    case_id: caseId,
    outcome: outcomeOf(runs.length, passes, errors.length, caseThreshold),
    runs: runs.length,
    passes,
    assertions: shown?.assertions ?? [],
    output: shown?.output == null ? null : cut(shown.output),
    latency_ms: Math.round(latency),
  };
  const firstError = errors[0];
  if (firstError) {
    result.error =
      errors.length > 1 ? `${firstError.error} (${errors.length} of ${runs.length} runs)` : firstError.error;
  }
  return result;
}

function outcomeOf(
  runs: number,
  passes: number,
  errors: number,
  threshold: number,
): EvalCaseResult['outcome'] {
  if (errors > 0) return 'error';
  if (passes === runs) return 'pass';
  return passes > 0 && passes / runs >= threshold ? 'flaky' : 'fail';
}

function cut(text: string): string {
  return text.length > MAX_OUTPUT_CHARS ? `${text.slice(0, MAX_OUTPUT_CHARS)}…` : text;
}

export type RunSummary = Pick<
  EvalRun,
  'total' | 'passed' | 'failed' | 'flaky' | 'errored' | 'pass_rate' | 'regressions' | 'gate'
>;

/**
 * Counts, pass rate ((passed + flaky) / total; 1 for an empty set) and the gate: it fails when
 * the pass rate is below `minPassRate`, or when a case whose outcome was `pass` in `previous` (the
 * route's previous run) is now `fail`.
 */
export function summarize(
  results: readonly EvalCaseResult[],
  minPassRate: number,
  previous?: Pick<EvalRun, 'results'>,
): RunSummary {
  const count = (outcome: EvalCaseResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const passed = count('pass');
  const flaky = count('flaky');
  const total = results.length;
  const passRate = total === 0 ? 1 : (passed + flaky) / total;
  const passedBefore = new Set(previous?.results.filter((r) => r.outcome === 'pass').map((r) => r.case_id));
  const regressions = results
    .filter((r) => r.outcome === 'fail' && passedBefore.has(r.case_id))
    .map((r) => r.case_id);
  return {
    total,
    passed,
    failed: count('fail'),
    flaky,
    errored: count('error'),
    pass_rate: passRate,
    regressions,
    gate: passRate >= minPassRate && regressions.length === 0 ? 'pass' : 'fail',
  };
}
