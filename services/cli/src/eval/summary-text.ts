import type { EvalRun } from '@flywheel/contracts';
import { caseLine } from './progress';

/** The words every report uses for a run's result. */

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}

/** Why the gate failed (empty when it passed). */
export function gateReasons(run: EvalRun): string[] {
  const reasons: string[] = [];
  if (run.pass_rate < run.min_pass_rate)
    reasons.push(`pass rate ${percent(run.pass_rate)} is below the minimum ${percent(run.min_pass_rate)}`);
  if (run.regressions.length > 0) {
    const n = run.regressions.length;
    reasons.push(
      `${n} ${n === 1 ? 'case' : 'cases'} passed in the previous run and fail now: ${run.regressions.join(', ')}`,
    );
  }
  return reasons;
}

export function countsLine(run: EvalRun): string {
  return (
    `${run.total} cases: ${run.passed} passed, ${run.flaky} flaky, ${run.failed} failed, ${run.errored} errors; ` +
    `pass rate ${percent(run.pass_rate)} (minimum ${percent(run.min_pass_rate)})`
  );
}

/** The console summary (stdout) after a run. */
export function consoleSummary(run: EvalRun, notes: readonly string[]): string {
  const lines = [`eval ${run.route}/${run.variant}: gate ${run.gate.toUpperCase()}`, `  ${countsLine(run)}`];
  for (const reason of gateReasons(run)) lines.push(`  gate: ${reason}`);
  for (const note of notes) lines.push(`  note: ${note}`);
  const notPassed = run.results.filter((r) => r.outcome !== 'pass');
  if (notPassed.length > 0) lines.push('', ...notPassed.map(caseLine));
  return `${lines.join('\n')}\n`;
}
