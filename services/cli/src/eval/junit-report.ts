import type { EvalCaseResult, EvalRun } from '@flywheel/contracts';
import { create } from 'xmlbuilder2';
import { gateReasons } from './summary-text';

/**
 * `--junit out.xml`: one `<testsuite>` for the run, one `<testcase>` per case.
 * - `fail` → `<failure type="fail">` (`type="regression"` when it passed in the previous run),
 *   message = the first failing assertion, body = every assertion and the answer;
 * - `error` → `<error>`;
 * - `flaky` → a passing testcase with `<flakyFailure>` (the Maven Surefire element for a test
 *   that failed some of its runs, understood by Jenkins and ignored by stricter readers) and a
 *   `<system-out>` note, so every reader counts it as passed and the flakiness stays visible.
 * Run settings and the gate are `<properties>` of the suite. Characters XML 1.0 cannot carry
 * (control characters a model may emit) are replaced with U+FFFD.
 */

type XmlNode = ReturnType<typeof create>;

export function junitReport(run: EvalRun): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\uFFFD' });
  const time = seconds(Date.parse(run.finished_at) - Date.parse(run.started_at));
  const counts = { tests: run.total, failures: run.failed, errors: run.errored };
  const suites = doc.ele('testsuites', { name: 'flywheel eval', ...counts, time });
  const suite = suites.ele('testsuite', {
    name: `${run.route}/${run.variant}`,
    ...counts,
    skipped: 0,
    time,
    timestamp: run.started_at,
  });
  const properties = suite.ele('properties');
  const props: [string, string | number][] = [
    ['run_id', run.id],
    ['route', run.route],
    ['variant', run.variant],
    ['repeat', run.repeat],
    ['case_threshold', run.case_threshold],
    ['min_pass_rate', run.min_pass_rate],
    ['pass_rate', run.pass_rate],
    ['flaky', run.flaky],
    ['regressions', run.regressions.join(',')],
    ['gate', run.gate],
    ['gate_reasons', gateReasons(run).join('; ')],
  ];
  for (const [name, value] of props) properties.ele('property', { name, value: String(value) });

  const regressions = new Set(run.regressions);
  for (const r of run.results) {
    const testcase = suite.ele('testcase', {
      name: r.case_id,
      classname: `flywheel.eval.${run.route}`,
      time: seconds(r.latency_ms),
    });
    outcomeElement(testcase, r, regressions.has(r.case_id));
  }
  return doc.end({ prettyPrint: true });
}

function outcomeElement(testcase: XmlNode, r: EvalCaseResult, regression: boolean): void {
  const runs = `${r.passes} of ${r.runs} runs passed`;
  switch (r.outcome) {
    case 'pass':
      return;
    case 'fail':
      testcase
        .ele('failure', { message: firstFailure(r) ?? runs, type: regression ? 'regression' : 'fail' })
        .txt(details(r, regression ? `regression: passed in the previous run; ${runs}` : runs));
      return;
    case 'error':
      testcase
        .ele('error', { message: r.error ?? 'error', type: 'error' })
        .txt(`${r.error ?? 'error'}\n${runs}`);
      return;
    case 'flaky':
      testcase.ele('flakyFailure', { message: firstFailure(r) ?? runs, type: 'flaky' }).txt(details(r, runs));
      testcase.ele('system-out').txt(`flaky: ${runs} (counted as passed)`);
      return;
  }
}

function firstFailure(r: EvalCaseResult): string | undefined {
  const failed = r.assertions.find((a) => !a.pass);
  return failed && `${failed.type}: ${failed.message ?? 'failed'}`;
}

function details(r: EvalCaseResult, head: string): string {
  const lines = [head, ''];
  for (const a of r.assertions) {
    const score = a.score === undefined ? '' : ` (score ${a.score.toFixed(2)})`;
    lines.push(`${a.pass ? 'pass' : 'FAIL'} ${a.type}${score}${a.message ? `: ${a.message}` : ''}`);
  }
  if (r.output !== null) lines.push('', 'answer:', r.output);
  return lines.join('\n');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
