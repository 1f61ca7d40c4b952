import type { EvalCaseResult, EvalRun } from '@flywheel/contracts';
import { countsLine, gateReasons, percent } from './summary-text';

/**
 * `--report out.md`: a summary table, then failures (with every assertion's message and the
 * model's answer), errors, flaky cases, and a table of all cases. Everything that comes from a
 * case or a model is written as text: escaped inline, fenced in code blocks otherwise, so a
 * Markdown renderer never turns it into links, HTML or formatting.
 */

export function markdownReport(run: EvalRun, notes: readonly string[] = []): string {
  const regressions = new Set(run.regressions);
  const lines: string[] = [
    `# Flywheel eval: route ${md(run.route)}, variant ${md(run.variant)}`,
    '',
    `**Gate: ${run.gate === 'pass' ? 'PASS' : 'FAIL'}**${run.gate === 'fail' ? ` — ${md(gateReasons(run).join('; '))}` : ''}`,
    '',
    '| | |',
    '| --- | --- |',
    `| cases | ${run.total} |`,
    `| passed | ${run.passed} |`,
    `| flaky | ${run.flaky} |`,
    `| failed | ${run.failed} |`,
    `| errors | ${run.errored} |`,
    `| pass rate | ${percent(run.pass_rate)} (minimum ${percent(run.min_pass_rate)}) |`,
    `| regressions | ${run.regressions.length === 0 ? 'none' : md(run.regressions.join(', '))} |`,
    `| runs per case | ${run.repeat} (flaky from ${percent(run.case_threshold)} of runs passing) |`,
    `| run | ${md(run.id)}, ${run.started_at} → ${run.finished_at} |`,
    '',
    md(countsLine(run)),
  ];
  for (const note of notes) lines.push('', `> ${md(note)}`);

  section(
    lines,
    'Failures',
    run.results.filter((r) => r.outcome === 'fail'),
    (r) => caseDetail(r, regressions.has(r.case_id) ? 'regression: passed in the previous run' : undefined),
  );
  section(
    lines,
    'Errors',
    run.results.filter((r) => r.outcome === 'error'),
    (r) => [
      `### ${md(r.case_id)}`,
      '',
      `${r.passes} of ${r.runs} runs passed before or besides the error.`,
      '',
      fence(r.error ?? 'unknown error'),
    ],
  );
  section(
    lines,
    'Flaky',
    run.results.filter((r) => r.outcome === 'flaky'),
    (r) => caseDetail(r),
  );

  if (run.results.length > 0) {
    lines.push(
      '',
      '## All cases',
      '',
      '| case | outcome | runs passed | mean latency |',
      '| --- | --- | --- | --- |',
    );
    for (const r of run.results)
      lines.push(`| ${md(r.case_id)} | ${r.outcome} | ${r.passes}/${r.runs} | ${r.latency_ms} ms |`);
  } else {
    lines.push('', '**No cases**: the set is empty, so nothing was checked.');
  }
  return `${lines.join('\n')}\n`;
}

function section(
  lines: string[],
  title: string,
  results: EvalCaseResult[],
  render: (r: EvalCaseResult) => string[],
): void {
  if (results.length === 0) return;
  lines.push('', `## ${title} (${results.length})`);
  for (const r of results) lines.push('', ...render(r));
}

/** A failing or flaky case: its assertions (of the last failing run) and the answer. */
function caseDetail(r: EvalCaseResult, note?: string): string[] {
  const out = [
    `### ${md(r.case_id)}`,
    '',
    `${r.outcome}, ${r.passes} of ${r.runs} runs passed${note ? `; **${md(note)}**` : ''}`,
    '',
  ];
  for (const a of r.assertions) {
    const score = a.score === undefined ? '' : ` (score ${a.score.toFixed(2)})`;
    out.push(
      `- ${a.pass ? 'pass' : '**FAIL**'} ${md(a.type)}${score}${a.message ? `: ${md(a.message)}` : ''}`,
    );
  }
  if (r.output !== null) out.push('', 'Answer of the last failing run:', '', fence(r.output));
  return out;
}

/** Escapes text for inline Markdown: no HTML, links, emphasis or code spans can start. */
export function md(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/\s*\r?\n\s*/g, ' ');
}

/** A fenced block that the text cannot close: the fence is longer than any backtick run in it. */
export function fence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}text\n${text}\n${ticks}`;
}
